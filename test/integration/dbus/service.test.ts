// The D-Bus API on a private system-like bus with the shipped policy: every method as root, the named
// errors, and a non-root caller refused by the policy and (with a permissive policy) by the uid check.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Message, sessionBus, type MessageBus } from 'dbus-next';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectApi, type ApiClient } from '../../../src/cli/client.js';
import { startApi, type Api } from '../../../src/dbus/service.js';
import { CryptvmError } from '../../../src/errors.js';
import { createLogger } from '../../../src/log/logger.js';
import { ALLOW_EVERYONE, startPrivateBus, type PrivateBus } from '../../helpers/dbus.js';
import { FakeControl } from '../../helpers/fake-control.js';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('SKIPPED: D-Bus integration tests need root (runuser, bus policy for root)');
const log = createLogger({ level: 'silent' });

function fake(): FakeControl {
  return new FakeControl(
    [{ name: 'cr_imap' }, { name: 'cr_data', state: 'open' }],
    [{ name: 'imap', volumes: ['cr_imap'] }, { name: 'db', volumes: ['cr_data'], running: true }],
  );
}

/** Calls as another user through gdbus; resolves with the combined output and whether it failed. */
async function gdbusAs(user: string, address: string, method: string, ...args: string[]): Promise<{ ok: boolean; out: string }> {
  try {
    const r = await run('runuser', ['-u', user, '--', 'gdbus', 'call', '--address', address, '--dest', 'org.cryptvm.Manager1', '--object-path', '/org/cryptvm/Manager1', '--method', `org.cryptvm.Manager1.${method}`, ...args]);
    return { ok: true, out: r.stdout + r.stderr };
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string };
    return { ok: false, out: `${x.stdout ?? ''}${x.stderr ?? ''}` };
  }
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(CryptvmError);
    return `${(e as CryptvmError).code}: ${(e as Error).message}`;
  }
  throw new Error('expected the call to fail');
}

describe.skipIf(!isRoot)('org.cryptvm.Manager1 on a private system bus (shipped policy)', () => {
  let bus: PrivateBus;
  let control: FakeControl;
  let api: Api;
  let clientBus: MessageBus;
  let client: ApiClient;

  beforeAll(async () => {
    bus = await startPrivateBus();
  });
  afterAll(async () => {
    await bus?.stop();
  });
  beforeEach(async () => {
    control = fake();
    api = await startApi(control, { busAddress: bus.address, log });
    clientBus = sessionBus({ busAddress: bus.address });
    client = connectApi({ bus: clientBus, unitState: async () => 'inactive', timeoutMs: 5_000 });
    return async () => {
      clientBus.disconnect();
      await api.stop();
    };
  });

  it('serves status, plan and every state-changing method to root', async () => {
    const s = await client.getStatus();
    expect(s.volumes.map((v) => `${v.name}=${v.state}`)).toEqual(['cr_imap=locked', 'cr_data=open']);
    expect((await client.plan()).boot[0]).toEqual({ kind: 'open', layer: 1, volume: 'cr_imap', device: '/dev/vg/cr_imap', keys: ['keyfile:/etc/cryptvm/keys/cr_imap'], open: false });
    const tickets = await client.unlock(['cr_imap']);
    expect(tickets).toEqual([{ volume: 'cr_imap', askId: expect.stringMatching(/^cryptvm-test:cr_imap:/) }]);
    expect(control.volumes.get('cr_imap')?.state).toBe('waiting-passphrase');
    await client.startGuests(['imap']);
    expect(control.guests.get('imap')?.state).toBe('waiting');
    await client.stopGuests([], true);
    expect(control.guests.get('db')?.state).toBe('shut-off');
    await client.lock('cr_data', false);
    expect(control.volumes.get('cr_data')?.state).toBe('locked');
    await client.reload();
    expect(control.calls.filter((c) => c !== 'status')).toEqual(['plan', 'unlock cr_imap', 'startGuests imap', 'stopGuests  true', 'lock cr_data false', 'reload']);
  });

  it('names the errors: NotFound, InvalidArgs, the CryptvmError code, Failed without a stack', async () => {
    expect(await codeOf(client.unlock(['cr_nope']))).toMatch(/^NotFound: no volume named cr_nope/);
    expect(await codeOf(client.startGuests(['ghost']))).toMatch(/^NotFound: no guest named ghost/);
    expect(await codeOf(client.lock('../etc', false))).toMatch(/^InvalidArgs: invalid volume name/);
    expect(await codeOf(client.lock('cr_data', false))).toMatch(/^Busy: volume cr_data is in use by running guest db/);
    control.failNext('reload', new Error('secret internal detail at /src/x.ts:12'));
    const failed = await codeOf(client.reload());
    expect(failed).toMatch(/^Failed: internal error in cryptvmd/);
    expect(failed).not.toMatch(/secret internal detail|\.ts:\d+|at /);
  });

  it('emits VolumeChanged with name and state only', async () => {
    const seen: string[][] = [];
    const onMsg = (m: { member?: string; body?: unknown[] }) => m.member === 'VolumeChanged' && seen.push(m.body as string[]);
    clientBus.on('message', onMsg);
    await clientBus.call(
      new Message({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'AddMatch', signature: 's', body: ["type='signal',interface='org.cryptvm.Manager1'"] }),
    );
    control.setVolume('cr_imap', 'open');
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toEqual([['cr_imap', 'open']]);
  });

  it('refuses a second daemon clearly', async () => {
    await expect(startApi(fake(), { busAddress: bus.address, log })).rejects.toThrow(/another cryptvmd is running\?/);
  });

  it('introspection carries argument names and descriptions', async () => {
    const r = await run('busctl', [`--address=${bus.address}`, 'introspect', 'org.cryptvm.Manager1', '/org/cryptvm/Manager1', 'org.cryptvm.Manager1']);
    expect(r.stdout).toMatch(/\.Unlock\s+method\s+as\s+a\(ss\)/);
    const xml = await run('gdbus', ['introspect', '--address', bus.address, '--dest', 'org.cryptvm.Manager1', '--object-path', '/org/cryptvm/Manager1']);
    expect(xml.stdout).toMatch(/Unlock\(in\s+as volumes,\s+out a\(ss\) requests\)/);
    expect(xml.stdout).toContain('org.freedesktop.DBus.Description');
  });

  it('refuses nobody by bus policy', async () => {
    const r = await gdbusAs('nobody', bus.address, 'Reload');
    expect(r.ok).toBe(false);
    expect(r.out).toMatch(/AccessDenied/);
    expect(control.calls).not.toContain('reload');
  });
});

describe.skipIf(!isRoot)('uid check behind a permissive policy', () => {
  let bus: PrivateBus;
  let control: FakeControl;
  let api: Api;
  beforeAll(async () => {
    bus = await startPrivateBus({ extraPolicy: ALLOW_EVERYONE });
    control = fake();
    api = await startApi(control, { busAddress: bus.address, log });
  });
  afterAll(async () => {
    await api?.stop();
    await bus?.stop();
  });

  it('refuses every state-changing method to nobody with org.cryptvm.Error.AccessDenied', async () => {
    for (const [method, args] of [['Reload', []], ['Unlock', ['[]']], ['Lock', ['cr_data', 'false']], ['StartGuests', ['[]']], ['StopGuests', ['[]', 'false']]] as const) {
      const r = await gdbusAs('nobody', bus.address, method, ...args);
      expect(r.ok, method).toBe(false);
      expect(r.out, method).toMatch(/org\.cryptvm\.Error\.AccessDenied: \w+ changes the host's state and is allowed to root only/);
    }
    expect(control.calls.filter((c) => c !== 'status')).toEqual([]);
  });

  it('still answers read-only calls (the bus policy is what keeps them root-only)', async () => {
    const r = await gdbusAs('nobody', bus.address, 'GetStatus');
    expect(r.ok).toBe(true);
    expect(r.out).toContain('cr_imap');
  });
});
