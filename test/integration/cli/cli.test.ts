// The bundled `cryptvm` as a subprocess against the real service on a private system-like bus, served by the
// real Daemon on the fake host: the CLI prints what the daemon says.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config, guest, volume } from '../../helpers/config.js';
import { startPrivateBus, type PrivateBus } from '../../helpers/dbus.js';
import { FakeHost } from '../../helpers/fake-host.js';
import { serveDaemon, type ServedDaemon } from '../../helpers/served-daemon.js';
import { until } from '../../helpers/test-source.js';
import { buildCli, runCli } from './build-cli.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('SKIPPED: CLI integration tests need root (the bus policy allows root only)');

describe.skipIf(!isRoot)('cryptvm CLI (bundled) against cryptvmd API', () => {
  let bus: PrivateBus;
  let served: ServedDaemon;
  let h: FakeHost;
  let cli: string;
  let env: NodeJS.ProcessEnv;

  const run = (...args: string[]) => runCli(cli, env, args);

  beforeAll(async () => {
    cli = await buildCli();
    bus = await startPrivateBus();
    // cr_imap waits at the prompt; cr_data opened with its key file and guest db runs on it. imap says
    // autostart = false while libvirt's own flag is set: a conflict the plan names.
    h = new FakeHost().disk('/dev/vg/cr_imap', 'imap pass').disk('/dev/vg/cr_data', 'data-key');
    h.domain('imap', ['/dev/mapper/cr_imap'], { autostart: true }).domain('db', ['/dev/mapper/cr_data']);
    const cfg = config([volume('cr_imap'), volume('cr_data', { keys: [{ kind: 'keyfile', path: '/etc/cryptvm/keys/data.key' }] })], [guest('imap', { autostart: false }), guest('db', { shutdownTimeoutMs: 2_000 })]);
    served = await serveDaemon(bus, cfg, h, { keys: { cr_data: ['keyfile:/etc/cryptvm/keys/data.key', 'data-key'] } });
    await served.daemon.startGuests(['db']);
    await until(() => h.domains.get('db')?.state === 'running' && served.asker.open.length === 1, 'db running and the prompt for cr_imap');
    // systemd is not PID 1 here: a stand-in systemctl answers "inactive" like a host where cryptvm is stopped.
    const bin = mkdtempSync(join(tmpdir(), 'cryptvm-bin-'));
    writeFileSync(join(bin, 'systemctl'), '#!/bin/sh\n[ "$1" = is-active ] && [ "$2" = cryptvm.service ] && { echo inactive; exit 3; }\nexit 1\n');
    chmodSync(join(bin, 'systemctl'), 0o755);
    env = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: bus.address, PATH: `${bin}:${process.env.PATH}` };
  });
  afterAll(async () => {
    await served?.stop();
    await bus?.stop();
  });

  it('prints the status tables', async () => {
    const r = await run('status');
    expect(r.code).toBe(0);
    // imap (autostart = false) is not one of the guests cryptvm runs.
    expect(r.stdout).toMatch(/^cryptvmd: ready: 1\/2 volumes open, 1\/1 guests running; waiting for passphrase: cr_imap \(guests: imap\)\n/);
    expect(r.stdout).toMatch(/^NAME\s+DEVICE\s+STATE\s+KEY SOURCE\s+MOUNT\s+HOLDERS$/m);
    expect(r.stdout).toMatch(/^cr_imap\s+\/dev\/vg\/cr_imap\s+waiting-passphrase\s+-\s+-\s+-$/m);
    expect(r.stdout).toMatch(/^cr_data\s+\/dev\/vg\/cr_data\s+open\s+keyfile:\/etc\/cryptvm\/keys\/data\.key\s+-\s+-$/m);
    expect(r.stdout).toMatch(/^imap\s+shut-off\s+cr_imap$/m);
    expect(r.stdout).toMatch(/^db\s+running\s+-$/m);
    expect(r.stdout).not.toMatch(/\x1b\[/); // no colours when not a TTY
  });

  it('prints status as JSON', async () => {
    const r = await run('status', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(JSON.stringify(served.daemon.status())));
  });

  it("prints the plan with the planner's conflicts", async () => {
    const r = await run('plan');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Boot:\n[^]*cr_imap[^]*cr_data[^]*Shutdown:/);
    expect(r.stdout).toContain("! guest imap: autostart = false in the config, but libvirt's autostart flag is set: libvirtd starts it at its own start without waiting for its volumes — run: virsh autostart --disable imap, or drop autostart = false");
    // The steps the daemon runs, in their layers: both opens in the first, db's shutdown with its fallback, then the close.
    expect(r.stdout).toMatch(/Boot:\n {2}1\. open cr_imap — \/dev\/vg\/cr_imap with prompt\n {2}1\. open cr_data — \/dev\/vg\/cr_data with keyfile:\/etc\/cryptvm\/keys\/data\.key \(open now\)\n/);
    expect(r.stdout).toMatch(/Shutdown:\n {2}1\. shutdown db — ACPI shutdown, 2s then destroy\n {2}1\. destroy db — if still running after 2s: virsh destroy\n {2}2\. close cr_data/);
  });

  it('reports a refused lock with the daemon message and exit 1, usage errors with exit 2', async () => {
    const busy = await run('lock', 'cr_data');
    expect(busy.code).toBe(1);
    expect(busy.stderr).toBe('cryptvm lock: volume cr_data is used by running guest(s) db; stop them first or pass --stop-guests\n');
    expect(h.mappings.has('cr_data')).toBe(true);
    const usage = await run('lock');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Usage: cryptvm lock VOLUME [--stop-guests]');
    const unknownOpt = await run('status', '--colour');
    expect(unknownOpt.code).toBe(2);
    const ok = await run('lock', 'cr_data', '--stop-guests');
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(h.domains.get('db')?.state).toBe('shut-off');
    expect(h.mappings.has('cr_data')).toBe(false);
    expect(served.daemon.status().volumes.find((v) => v.name === 'cr_data')?.state).toBe('locked');
  });

  it('--version and --help', async () => {
    expect((await run('--version')).stdout).toBe('cryptvm 9.9.9-test\n');
    const help = await run('unlock', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: cryptvm unlock [--stdin] [VOLUME…]');
  });

  it('says the daemon is not running, with the unit state and the fix', async () => {
    await served.unserve();
    const r = await run('status');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('cryptvm status: cryptvmd is not running (cryptvm.service is inactive) — start it with: systemctl start cryptvm\n');
  });
});
