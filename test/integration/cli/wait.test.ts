// `cryptvm wait --prompts` (cryptvm-ask.service): the bundled CLI against the real API on a private bus.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type Api } from '../../../src/dbus/service.js';
import { createLogger } from '../../../src/log/logger.js';
import { startPrivateBus, type PrivateBus } from '../../helpers/dbus.js';
import { FakeControl } from '../../helpers/fake-control.js';
import { buildCli, runCli } from './build-cli.js';

describe('cryptvm wait --prompts', () => {
  let bus: PrivateBus;
  let api: Api | undefined;
  let control: FakeControl;
  let cli: string;
  let env: NodeJS.ProcessEnv;

  const run = (...args: string[]) => runCli(cli, env, args);

  beforeAll(async () => {
    cli = await buildCli();
    bus = await startPrivateBus();
    control = new FakeControl([{ name: 'cr_imap' }, { name: 'cr_data', state: 'open' }], [{ name: 'imap', volumes: ['cr_imap'] }]);
    api = await startApi(control, { busAddress: bus.address, log: createLogger({ level: 'silent' }) });
    const dir = mkdtempSync(join(tmpdir(), 'cryptvm-wait-'));
    writeFileSync(join(dir, 'cryptvm.toml'), '[daemon]\nboot_wait = "1s"\n', { mode: 0o600 });
    env = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: bus.address, CRYPTVM_CONFIG: join(dir, 'cryptvm.toml') };
  });
  afterAll(async () => {
    await api?.stop();
    await bus?.stop();
  });

  it('returns at once when nothing waits for a person', async () => {
    control.consoleWait = [];
    const r = await run('wait', '--prompts');
    expect(r).toMatchObject({ code: 0, stdout: 'no volume waits for a passphrase at the console\n' });
  });

  it('waits while the daemon says a volume may need a person, and returns when that ends', async () => {
    control.consoleWait = ['cr_imap'];
    const done = run('wait', '--prompts', '--timeout', '1min');
    await new Promise((r) => setTimeout(r, 1_500));
    control.consoleWait = [];
    const r = await done;
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('waiting for a passphrase at the console: cr_imap (logins wait until it is answered or boot_wait passes)\nno volume waits for a passphrase at the console any more\n');
  });

  it('--timeout bounds a daemon that never ends the wait (default: boot_wait plus 1min)', async () => {
    control.consoleWait = ['cr_imap'];
    const r = await run('wait', '--prompts', '--timeout', '1s');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('gave up after 1s: cryptvmd still says cr_imap may need a passphrase; logins go ahead (answer later with cryptvm unlock)\n');
    control.consoleWait = [];
  });

  it('a daemon that has not taken its bus name yet (READY came first) is waited for, briefly', async () => {
    await api?.stop();
    control.consoleWait = ['cr_imap'];
    const done = run('wait', '--prompts', '--timeout', '1min');
    await new Promise((r) => setTimeout(r, 1_500));
    api = await startApi(control, { busAddress: bus.address, log: createLogger({ level: 'silent' }) });
    await new Promise((r) => setTimeout(r, 1_000));
    control.consoleWait = [];
    const r = await done;
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^waiting for a passphrase at the console: cr_imap/);
  });

  it('without --prompts it is a usage error', async () => {
    const r = await run('wait');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^cryptvm wait: wait needs --prompts\n\nUsage: cryptvm wait --prompts/);
  });
});
