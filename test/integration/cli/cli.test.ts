// The bundled `cryptvm` as a subprocess against the real service on a private system-like bus.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type Api } from '../../../src/dbus/service.js';
import { createLogger } from '../../../src/log/logger.js';
import { startPrivateBus, type PrivateBus } from '../../helpers/dbus.js';
import { FakeControl } from '../../helpers/fake-control.js';
import { buildCli, runCli } from './build-cli.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('SKIPPED: CLI integration tests need root (the bus policy allows root only)');

describe.skipIf(!isRoot)('cryptvm CLI (bundled) against cryptvmd API', () => {
  let bus: PrivateBus;
  let api: Api | undefined;
  let control: FakeControl;
  let cli: string;
  let env: NodeJS.ProcessEnv;

  const run = (...args: string[]) => runCli(cli, env, args);

  beforeAll(async () => {
    cli = await buildCli();
    bus = await startPrivateBus();
    control = new FakeControl(
      [{ name: 'cr_imap' }, { name: 'cr_data', state: 'open', device: 'UUID=1234' }],
      [{ name: 'imap', volumes: ['cr_imap'] }, { name: 'db', volumes: ['cr_data'], running: true }],
    );
    api = await startApi(control, { busAddress: bus.address, log: createLogger({ level: 'silent' }) });
    // systemd is not PID 1 here: a stand-in systemctl answers "inactive" like a host where cryptvm is stopped.
    const bin = mkdtempSync(join(tmpdir(), 'cryptvm-bin-'));
    writeFileSync(join(bin, 'systemctl'), '#!/bin/sh\n[ "$1" = is-active ] && [ "$2" = cryptvm.service ] && { echo inactive; exit 3; }\nexit 1\n');
    chmodSync(join(bin, 'systemctl'), 0o755);
    env = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: bus.address, PATH: `${bin}:${process.env.PATH}` };
  });
  afterAll(async () => {
    await api?.stop();
    await bus?.stop();
  });

  it('prints the status tables', async () => {
    const r = await run('status');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^NAME\s+DEVICE\s+STATE\s+KEY SOURCE\s+MOUNT\s+HOLDERS$/m);
    expect(r.stdout).toMatch(/^cr_data\s+UUID=1234 \(\/dev\/vg\/cr_data\)\s+open\s+keyfile:\/k\s+-\s+-$/m);
    expect(r.stdout).toMatch(/^imap\s+shut-off\s+cr_imap$/m);
    expect(r.stdout).not.toMatch(/\x1b\[/); // no colours when not a TTY
  });

  it('prints status as JSON', async () => {
    const r = await run('status', '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.guests.map((g: { name: string }) => g.name)).toEqual(['imap', 'db']);
  });

  it('prints the plan in order', async () => {
    control.conflicts = ['guest db has libvirt autostart enabled; cryptvm starts it: virsh autostart --disable db'];
    const r = await run('plan');
    expect(r.code).toBe(0);
    // Both opens run in the first layer; the fake's guests start in the fourth (after READY=1 in the third).
    expect(r.stdout).toMatch(/Boot:\n {2}1\. open cr_imap — \/dev\/vg\/cr_imap with keyfile:\/etc\/cryptvm\/keys\/cr_imap\n {2}1\. open cr_data/);
    expect(r.stdout).toMatch(/Shutdown:\n {2}1\. shutdown imap — ACPI shutdown, 3min then destroy, in parallel with db\n {2}1\. destroy imap — if still running after 3min: virsh destroy\n/);
    expect(r.stdout).toMatch(/Conflicts:\n {2}! guest db has libvirt autostart enabled/);
  });

  it('reports a refused lock with the daemon message and exit 1, usage errors with exit 2', async () => {
    const busy = await run('lock', 'cr_data');
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain('cryptvm lock: volume cr_data is in use by running guest db; stop it first or use --stop-guests');
    const usage = await run('lock');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Usage: cryptvm lock VOLUME [--stop-guests]');
    const unknownOpt = await run('status', '--colour');
    expect(unknownOpt.code).toBe(2);
    const ok = await run('lock', 'cr_data', '--stop-guests');
    expect(ok.code).toBe(0);
    expect(control.volumes.get('cr_data')?.state).toBe('locked');
  });

  it('--version and --help', async () => {
    expect((await run('--version')).stdout).toBe('cryptvm 9.9.9-test\n');
    const help = await run('unlock', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: cryptvm unlock [--stdin] [VOLUME…]');
  });

  it('says the daemon is not running, with the unit state and the fix', async () => {
    await api?.stop();
    api = undefined;
    const r = await run('status');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('cryptvm status: cryptvmd is not running (cryptvm.service is inactive) — start it with: systemctl start cryptvm\n');
  });
});
