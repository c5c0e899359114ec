// `cryptvm wait --prompts` (cryptvm-ask.service): the bundled CLI against the real Daemon on the fake host,
// served on a private bus. The daemon decides how long the console waits: until the prompt is answered or
// boot_wait passes.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { config, volume } from '../../helpers/config.js';
import { startPrivateBus, type PrivateBus } from '../../helpers/dbus.js';
import { FakeHost } from '../../helpers/fake-host.js';
import { serveDaemon, type ServedDaemon } from '../../helpers/served-daemon.js';
import { until } from '../../helpers/test-source.js';
import { buildCli, runCli } from './build-cli.js';

const DATA_KEY: [string, string] = ['keyfile:/etc/cryptvm/keys/data.key', 'data-key'];

describe('cryptvm wait --prompts', () => {
  let bus: PrivateBus;
  let served: ServedDaemon | undefined;
  let cli: string;
  let env: NodeJS.ProcessEnv;

  const run = (...args: string[]) => runCli(cli, env, args);

  /** cr_data opens with its key file; cr_imap waits at the prompt for "imap pass" unless it has a key too. */
  async function boot(o: { imapKey?: boolean; bootWaitMs?: number; serve?: boolean } = {}): Promise<ServedDaemon> {
    const h = new FakeHost().disk('/dev/vg/cr_imap', 'imap pass').disk('/dev/vg/cr_data', 'data-key');
    const cfg = config([volume('cr_imap', o.imapKey ? { keys: [{ kind: 'keyfile', path: '/etc/cryptvm/keys/imap.key' }] } : {}), volume('cr_data', { keys: [{ kind: 'keyfile', path: '/etc/cryptvm/keys/data.key' }] })], [], {
      bootWaitMs: o.bootWaitMs ?? 120_000,
    });
    const keys: Record<string, [string, string]> = { cr_data: DATA_KEY, ...(o.imapKey ? { cr_imap: ['keyfile:/etc/cryptvm/keys/imap.key', 'imap pass'] } : {}) };
    const s = await serveDaemon(bus, cfg, h, { keys, serve: o.serve });
    served = s;
    if (!o.imapKey) await until(() => s.asker.open.length === 1, 'the prompt for cr_imap');
    return s;
  }

  beforeAll(async () => {
    cli = await buildCli();
    bus = await startPrivateBus();
    const dir = mkdtempSync(join(tmpdir(), 'cryptvm-wait-'));
    writeFileSync(join(dir, 'cryptvm.toml'), '[daemon]\nboot_wait = "1s"\n', { mode: 0o600 });
    env = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: bus.address, CRYPTVM_CONFIG: join(dir, 'cryptvm.toml') };
  });
  afterEach(async () => {
    await served?.stop();
    served = undefined;
  });
  afterAll(async () => {
    await bus?.stop();
  });

  it('returns at once when every volume opened without a person', async () => {
    await boot({ imapKey: true });
    const r = await run('wait', '--prompts');
    expect(r).toMatchObject({ code: 0, stdout: 'no volume waits for a passphrase at the console\n' });
  });

  it('waits while a passphrase prompt is open, and returns once it is answered', async () => {
    const s = await boot();
    const done = run('wait', '--prompts', '--timeout', '1min');
    await delay(1_000);
    s.asker.open[0]?.answer('imap pass');
    const r = await done;
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('waiting for a passphrase at the console: cr_imap (logins wait until it is answered or boot_wait passes)\nno volume waits for a passphrase at the console any more\n');
    expect(s.daemon.status().volumes.map((v) => v.state)).toEqual(['open', 'open']);
  });

  it('returns when boot_wait passes, the prompt still open (answer later with cryptvm unlock)', async () => {
    const s = await boot({ bootWaitMs: 1_000 });
    const r = await run('wait', '--prompts', '--timeout', '1min');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('waiting for a passphrase at the console: cr_imap (logins wait until it is answered or boot_wait passes)\nno volume waits for a passphrase at the console any more\n');
    expect(s.asker.open).toHaveLength(1);
  });

  it('--timeout bounds a daemon that never ends the wait (default: boot_wait plus 1min)', async () => {
    await boot();
    const r = await run('wait', '--prompts', '--timeout', '1s');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('gave up after 1s: cryptvmd still says cr_imap may need a passphrase; logins go ahead (answer later with cryptvm unlock)\n');
  });

  it('a daemon that has not taken its bus name yet (READY came first) is waited for, briefly', async () => {
    const s = await boot({ serve: false });
    const done = run('wait', '--prompts', '--timeout', '1min');
    await delay(1_200);
    await s.serve();
    await delay(700);
    s.asker.open[0]?.answer('imap pass');
    const r = await done;
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('waiting for a passphrase at the console: cr_imap (logins wait until it is answered or boot_wait passes)\nno volume waits for a passphrase at the console any more\n');
  });

  it('without --prompts it is a usage error', async () => {
    const r = await run('wait');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^cryptvm wait: wait needs --prompts\n\nUsage: cryptvm wait --prompts/);
  });
});
