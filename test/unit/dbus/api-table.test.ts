// The API is declared once (src/dbus/members.ts): the handler table, the wire types and the client's calls
// follow from it. The @ts-expect-error lines are the compile-time half: `tsc --noEmit` (npm test's typecheck)
// fails when one of them compiles, i.e. when the table stops catching a missing, extra or mistyped handler.
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { DaemonStatus, UnlockTicket } from '../../../src/api/types.js';
import type { ApiClient } from '../../../src/cli/client.js';
import { callName, CODECS, type ApiCalls } from '../../../src/dbus/codec.js';
import { IMPL, type ImplTable } from '../../../src/dbus/dispatch.js';
import { METHOD_NAMES, METHODS } from '../../../src/dbus/members.js';
import type { In, Out, Wire } from '../../../src/dbus/wire-types.js';

describe('the handler table is checked by the compiler', () => {
  it('refuses a method without a handler, a handler for no method and a handler of the wrong type', () => {
    const { Reload: _reload, ...withoutReload } = IMPL;
    // @ts-expect-error Reload has no handler
    const missing: ImplTable = withoutReload;
    // @ts-expect-error Frobnicate is no method of org.cryptvm.Manager1
    const extra: ImplTable = { ...IMPL, Frobnicate: async () => undefined };
    // @ts-expect-error Unlock resolves with UnlockTicket[], not with the wire's pairs
    const wrongResult: ImplTable = { ...IMPL, Unlock: async () => [['cr_a', 'cryptsetup:/dev/vg/cr_a']] };
    // @ts-expect-error Lock's body is (s volume, b stop_guests): stop is a boolean, not a string
    const wrongArgs: ImplTable = { ...IMPL, Lock: async (c, [v, stop]: [string, string]) => c.lock(v, stop === 'true') };
    expect([missing, extra, wrongResult, wrongArgs].every((t) => typeof t === 'object')).toBe(true);
    expect(Object.keys(IMPL).sort()).toEqual([...METHOD_NAMES].sort());
  });

  it('types each body from its D-Bus signature', () => {
    expectTypeOf<Wire<'a(ss)'>>().toEqualTypeOf<[string, string][]>();
    expectTypeOf<In<'Lock'>>().toEqualTypeOf<[string, boolean]>();
    expectTypeOf<In<'StopGuests'>>().toEqualTypeOf<[string[], boolean]>();
    expectTypeOf<Out<'Unlock'>>().toEqualTypeOf<[[string, string][]]>();
    expectTypeOf<Out<'Reload'>>().toEqualTypeOf<[]>();
    // A signature the API does not use yet has no type until wire-types.ts learns it.
    expectTypeOf<Wire<'a{sv}'>>().toBeNever();
  });

  it('the client is DaemonControl over the bus, one call per method', () => {
    expectTypeOf<ApiClient['getStatus']>().toEqualTypeOf<() => Promise<DaemonStatus>>();
    expectTypeOf<ApiClient['unlock']>().toEqualTypeOf<(volumes: string[]) => Promise<UnlockTicket[]>>();
    expect(METHOD_NAMES.map(callName).sort()).toEqual(['getStatus', 'lock', 'plan', 'reload', 'startGuests', 'stopGuests', 'unlock'] satisfies (keyof ApiCalls)[]);
  });
});

describe('codecs', () => {
  it('round-trip every result through its reply body', () => {
    const status = { phase: 'ready', status: '1/1 volumes open', configPath: '/etc/cryptvm/cryptvm.toml', volumes: [], guests: [], consoleWait: [] } satisfies DaemonStatus;
    expect(CODECS.GetStatus.decode(CODECS.GetStatus.encode(status))).toEqual(status);
    const tickets = [{ volume: 'cr_a', askId: 'cryptsetup:/dev/vg/cr_a' }];
    expect(CODECS.Unlock.encode(tickets)).toEqual([[['cr_a', 'cryptsetup:/dev/vg/cr_a']]]);
    expect(CODECS.Unlock.decode(CODECS.Unlock.encode(tickets))).toEqual(tickets);
    expect(CODECS.Reload.encode(undefined)).toEqual([]);
  });

  it('only the calls that wait for guests to shut down have a long timeout, named by an in-argument', () => {
    const long = METHOD_NAMES.flatMap((m) => {
      const spec: (typeof METHODS)[keyof typeof METHODS] & { longWhen?: string } = METHODS[m];
      return spec.longWhen ? [`${m}:${spec.in.find((a) => a.name === spec.longWhen)?.type}`] : [];
    });
    expect(long).toEqual(['Lock:b', 'StopGuests:b']);
  });
});
