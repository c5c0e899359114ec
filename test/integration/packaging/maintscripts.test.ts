// The maintainer scripts, run for real by sh in a private mount namespace (tmpfs over /run and /var/lib, so
// "systemd is running" can be simulated without touching the host), with logging stubs for systemctl and
// the deb-systemd-* helpers. What matters: first install enables and starts nothing, an upgrade only
// try-restarts the daemon (guests and volumes stay), removal stops guests before the daemon, purge forgets.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasProgram, REPO, run } from './tools.js';

const isRoot = process.getuid?.() === 0;
const reason = !isRoot ? 'needs root (mount namespaces)' : !hasProgram('unshare') ? 'unshare is not installed' : undefined;
if (reason) console.warn(`SKIPPED test/integration/packaging/maintscripts.test.ts: ${reason}`);

const STUBS = ['systemctl', 'deb-systemd-helper', 'deb-systemd-invoke', 'dbus-send'];
const BOTH = ['cryptvm.service', 'cryptvm-guests.service', 'cryptvm-ask.service'];

describe.skipIf(reason !== undefined)('maintainer scripts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cryptvm-maint-'));
  const log = join(dir, 'calls.log');
  for (const name of STUBS) {
    const wasEnabled = name === 'deb-systemd-helper' ? '[ "$2" = was-enabled ] && exit "${STUB_WAS_ENABLED_EXIT:-0}"\n' : '';
    writeFileSync(join(dir, name), `#!/bin/sh\necho "${name} $*" >> "${log}"\n${wasEnabled}exit 0\n`);
    chmodSync(join(dir, name), 0o755);
  }
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs packaging/deb/SCRIPT ARGS…; returns the stub calls and whether /var/lib/cryptvm survived. */
  function maint(script: string, args: string[], opts: { systemd?: boolean; wasEnabledExit?: number } = {}) {
    writeFileSync(log, '');
    const setup = [
      'mount -t tmpfs none /run', 'mount -t tmpfs none /var/lib', 'mkdir -p /run/dbus /var/lib/cryptvm',
      'echo hint > /var/lib/cryptvm/keyslots.json',
      opts.systemd === false ? ':' : 'mkdir -p /run/systemd/system',
      `PATH="${dir}:$PATH" sh "$0" "$@"`, 'rc=$?',
      'if [ -e /var/lib/cryptvm ]; then echo state=kept; else echo state=removed; fi', 'exit $rc',
    ].join(' && ');
    const r = run('unshare', ['-m', 'sh', '-c', setup, resolve(REPO, 'packaging/deb', script), ...args], {
      env: { ...process.env, STUB_WAS_ENABLED_EXIT: String(opts.wasEnabledExit ?? 0) },
    });
    expect(r.status, r.stderr).toBe(0);
    const calls = readFileSync(log, 'utf8').trim().split('\n').filter((l) => l !== '');
    return { calls, state: r.stdout.trim() };
  }

  it('first install: enables the three units, reloads systemd and the bus policy, starts nothing', () => {
    const { calls } = maint('postinst', ['configure', '']);
    for (const unit of BOTH) expect(calls).toContain(`deb-systemd-helper enable ${unit}`);
    expect(calls).toContain('systemctl --system daemon-reload');
    expect(calls.some((c) => c.startsWith('dbus-send --system'))).toBe(true);
    expect(calls.filter((c) => c.startsWith('deb-systemd-invoke') || /systemctl .*(start|restart|stop)/.test(c))).toEqual([]);
  });

  it('upgrade: only try-restarts the daemon; never stops it, never touches cryptvm-guests', () => {
    const { calls } = maint('postinst', ['configure', '0.0.9-1']);
    expect(calls.filter((c) => c.startsWith('deb-systemd-invoke'))).toEqual(['deb-systemd-invoke try-restart cryptvm.service']);
    expect(calls.filter((c) => /stop|cryptvm-guests\.service/.test(c) && !c.startsWith('deb-systemd-helper'))).toEqual([]);
  });

  it('upgrade keeps an admin\'s disabled unit disabled', () => {
    const { calls } = maint('postinst', ['configure', '0.0.9-1'], { wasEnabledExit: 1 });
    expect(calls.filter((c) => c.startsWith('deb-systemd-helper enable'))).toEqual([]);
    for (const unit of BOTH) expect(calls).toContain(`deb-systemd-helper update-state ${unit}`);
  });

  it('without systemd running: enables, but calls no systemctl', () => {
    const { calls } = maint('postinst', ['configure', ''], { systemd: false });
    expect(calls).toContain('deb-systemd-helper enable cryptvm.service');
    expect(calls.filter((c) => c.startsWith('systemctl') || c.startsWith('deb-systemd-invoke'))).toEqual([]);
  });

  it.each(['upgrade', 'deconfigure', 'failed-upgrade'])('prerm %s does nothing at all', (action) => {
    expect(maint('prerm', [action, '0.1.1-1']).calls).toEqual([]);
  });

  it('prerm remove stops the guests first, then the daemon', () => {
    expect(maint('prerm', ['remove']).calls).toEqual([
      'deb-systemd-invoke stop cryptvm-guests.service',
      'deb-systemd-invoke stop cryptvm.service',
    ]);
  });

  it('postrm remove keeps the state; purge forgets the units and removes the state directory', () => {
    const removed = maint('postrm', ['remove']);
    expect(removed.state).toBe('state=kept');
    for (const unit of BOTH) expect(removed.calls).toContain(`deb-systemd-helper mask ${unit}`);
    const purged = maint('postrm', ['purge']);
    expect(purged.state).toBe('state=removed');
    for (const unit of BOTH) expect(purged.calls).toContain(`deb-systemd-helper purge ${unit}`);
  });
});
