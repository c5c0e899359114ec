// The D-Bus API on a private system-like bus with the shipped policy, served by the real Daemon on the fake
// host: every method as root, the named errors with the daemon's and the dispatcher's own messages, and a
// non-root caller refused by the policy and (with a permissive policy) by the uid check.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Message, sessionBus, type MessageBus } from 'dbus-next';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectApi, type ApiClient } from '../../../src/cli/client.js';
import { ConfigError } from '../../../src/config/problem.js';
import type { Config } from '../../../src/config/types.js';
import { startApi } from '../../../src/dbus/service.js';
import { CryptvmError } from '../../../src/errors.js';
import { createLogger } from '../../../src/log/logger.js';
import { config, guest, volume } from '../../helpers/config.js';
import { ALLOW_EVERYONE, startPrivateBus, type PrivateBus } from '../../helpers/dbus.js';
import { FakeHost } from '../../helpers/fake-host.js';
import { serveDaemon, type ServedDaemon } from '../../helpers/served-daemon.js';
import { until } from '../../helpers/test-source.js';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('SKIPPED: D-Bus integration tests need root (runuser, bus policy for root)');
const log = createLogger({ level: 'silent' });

const CFG = config([volume('cr_imap'), volume('cr_data', { keys: [{ kind: 'keyfile', path: '/etc/cryptvm/keys/data.key' }] })], [guest('imap'), guest('db', { shutdownTimeoutMs: 2_000 })]);

/**
 * cr_imap waits at the prompt (its passphrase is "imap pass"), cr_data opened with its key file and guest db
 * runs on it. `reload` is what the daemon re-reads: the same file unless a test says otherwise.
 */
async function host(bus: PrivateBus, reload: { next: () => Config; count: number }) {
  const h = new FakeHost().disk('/dev/vg/cr_imap', 'imap pass').disk('/dev/vg/cr_data', 'data-key');
  h.domain('imap', ['/dev/mapper/cr_imap']).domain('db', ['/dev/mapper/cr_data']);
  const served = await serveDaemon(bus, CFG, h, {
    keys: { cr_data: ['keyfile:/etc/cryptvm/keys/data.key', 'data-key'] },
    extra: { loadConfig: () => (reload.count++, reload.next()) },
  });
  await served.daemon.startGuests(['db']);
  await until(() => h.domains.get('db')?.state === 'running' && served.asker.open.length === 1, 'db running and the prompt for cr_imap');
  return { h, served };
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
  let h: FakeHost;
  let served: ServedDaemon;
  let clientBus: MessageBus;
  let client: ApiClient;
  let reload: { next: () => Config; count: number };

  beforeAll(async () => {
    bus = await startPrivateBus();
  });
  afterAll(async () => {
    await bus?.stop();
  });
  beforeEach(async () => {
    reload = { next: () => CFG, count: 0 };
    ({ h, served } = await host(bus, reload));
    clientBus = sessionBus({ busAddress: bus.address });
    client = connectApi({ bus: clientBus, unitState: async () => 'inactive', timeoutMs: 5_000 });
    return async () => {
      clientBus.disconnect();
      await served.stop();
    };
  });

  it('serves status, plan and every state-changing method to root', async () => {
    const s = await client.getStatus();
    expect(s.volumes.map((v) => `${v.name}=${v.state}`)).toEqual(['cr_imap=waiting-passphrase', 'cr_data=open']);
    expect(s.guests.map((g) => `${g.name}=${g.state}`)).toEqual(['imap=shut-off', 'db=running']);
    expect(s).toEqual(JSON.parse(JSON.stringify(served.daemon.status())));
    expect(await client.plan()).toEqual(JSON.parse(JSON.stringify(await served.daemon.plan())));
    expect((await client.plan()).boot[0]).toMatchObject({ kind: 'open', layer: 1, volume: 'cr_imap', device: '/dev/vg/cr_imap', open: false });
    // The request the boot prompt already has, re-armed: the Id other agents know (systemd-cryptsetup's).
    expect(await client.unlock(['cr_imap'])).toEqual([{ volume: 'cr_imap', askId: 'cryptsetup:/dev/vg/cr_imap' }]);
    served.asker.open[0]?.answer('imap pass');
    await until(() => served.daemon.status().volumes[0]?.state === 'open', 'cr_imap open');
    await client.startGuests(['imap']);
    await until(() => h.domains.get('imap')?.state === 'running', 'imap running');
    await client.stopGuests([], true);
    expect([...h.domains].map(([n, d]) => `${n}=${d.state}`)).toEqual(['imap=shut-off', 'db=shut-off']);
    await client.lock('cr_data', false);
    expect(h.mappings.has('cr_data')).toBe(false);
    expect((await client.getStatus()).volumes.map((v) => `${v.name}=${v.state}`)).toEqual(['cr_imap=open', 'cr_data=locked']);
    await client.reload();
    expect(reload.count).toBe(1);
  });

  it("names the errors with the daemon's messages: NotFound, InvalidArgs, Busy, Config, Failed without a stack", async () => {
    expect(await codeOf(client.unlock(['cr_nope']))).toBe('NotFound: no volume named cr_nope in /etc/cryptvm/cryptvm.toml; see cryptvm status');
    expect(await codeOf(client.startGuests(['ghost']))).toBe('NotFound: no guest named ghost in /etc/cryptvm/cryptvm.toml; see cryptvm status');
    expect(await codeOf(client.lock('../etc', false))).toBe('InvalidArgs: invalid volume name "../etc": use letters, digits and _ . + : @ -');
    expect(await codeOf(client.unlock(['cr_data']))).toBe('InvalidArgs: volume cr_data is already open');
    expect(await codeOf(client.lock('cr_data', false))).toBe('Busy: volume cr_data is used by running guest(s) db; stop them first or pass --stop-guests');
    expect(h.mappings.has('cr_data')).toBe(true);
    reload.next = () => {
      throw new ConfigError([{ file: '/etc/cryptvm/cryptvm.toml', line: 7, key: 'volume[1].keys', message: 'unknown key source "keyfiel:/k"', fix: 'write keyfile:PATH', severity: 'error' }]);
    };
    expect(await codeOf(client.reload())).toBe('Config: /etc/cryptvm/cryptvm.toml:7: volume[1].keys: unknown key source "keyfiel:/k" — write keyfile:PATH');
    // A bug in the daemon (here: in reading the file) is a Failed whose text carries nothing of it.
    reload.next = () => {
      throw new TypeError('secret internal detail at /src/x.ts:12');
    };
    const failed = await codeOf(client.reload());
    expect(failed).toBe('Failed: internal error in cryptvmd; see journalctl -u cryptvm for details');
    expect(served.daemon.currentConfig()).toBe(CFG);
  });

  it('emits VolumeChanged with name and state only', async () => {
    const seen: string[][] = [];
    const onMsg = (m: { member?: string; body?: unknown[] }) => m.member === 'VolumeChanged' && seen.push(m.body as string[]);
    clientBus.on('message', onMsg);
    await clientBus.call(
      new Message({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'AddMatch', signature: 's', body: ["type='signal',interface='org.cryptvm.Manager1'"] }),
    );
    served.asker.open[0]?.answer('imap pass');
    await until(() => seen.some(([n, st]) => n === 'cr_imap' && st === 'open'), 'VolumeChanged cr_imap open', 5_000);
    for (const body of seen) expect(body).toEqual([expect.stringMatching(/^cr_(imap|data)$/), expect.stringMatching(/^[a-z-]+$/)]);
    expect(seen.filter(([n]) => n === 'cr_imap').at(-1)).toEqual(['cr_imap', 'open']);
  });

  it('refuses a second daemon clearly', async () => {
    await expect(startApi(served.daemon, { busAddress: bus.address, log })).rejects.toThrow('the bus name org.cryptvm.Manager1 is taken: another cryptvmd is running? (systemctl status cryptvm)');
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
    expect(reload.count).toBe(0);
  });
});

describe.skipIf(!isRoot)('uid check behind a permissive policy', () => {
  let bus: PrivateBus;
  let h: FakeHost;
  let served: ServedDaemon;
  const reload = { next: () => CFG, count: 0 };
  beforeAll(async () => {
    bus = await startPrivateBus({ extraPolicy: ALLOW_EVERYONE });
    ({ h, served } = await host(bus, reload));
  });
  afterAll(async () => {
    await served?.stop();
    await bus?.stop();
  });

  it('refuses every state-changing method to nobody with org.cryptvm.Error.AccessDenied', async () => {
    const before = { calls: [...h.calls], status: served.daemon.status() };
    for (const [method, args] of [['Reload', []], ['Unlock', ['[]']], ['Lock', ['cr_data', 'true']], ['StartGuests', ['[]']], ['StopGuests', ['[]', 'false']]] as const) {
      const r = await gdbusAs('nobody', bus.address, method, ...args);
      expect(r.ok, method).toBe(false);
      expect(r.out, method).toContain(`org.cryptvm.Error.AccessDenied: ${method} changes the host's state and is allowed to root only (caller uid 65534); run it with sudo`);
    }
    expect({ calls: h.calls, status: served.daemon.status() }).toEqual(before);
    expect(reload.count).toBe(0);
  });

  it('still answers read-only calls (the bus policy is what keeps them root-only)', async () => {
    const r = await gdbusAs('nobody', bus.address, 'GetStatus');
    expect(r.ok).toBe(true);
    expect(r.out).toContain('cr_imap');
  });
});
