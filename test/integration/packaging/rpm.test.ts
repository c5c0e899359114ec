// packaging/rpm/build.sh: a noarch .rpm with the same layout as the .deb (units under /usr/lib/systemd),
// the config as %config(noreplace), the dependencies, and scriptlets that never stop the daemon on upgrade.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasProgram, REPO, run } from './tools.js';

const version = (JSON.parse(readFileSync(resolve(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const reason = hasProgram('rpmbuild') ? undefined : 'rpmbuild is not installed (apt-get install rpm)';
if (reason) console.warn(`SKIPPED test/integration/packaging/rpm.test.ts: ${reason}`);

describe.skipIf(reason !== undefined)('cryptvm .rpm', () => {
  const out = mkdtempSync(join(tmpdir(), 'cryptvm-rpm-'));
  const rpm = join(out, `cryptvm-${version}-1.noarch.rpm`);
  const q = (...args: string[]): string => run('rpm', ['-qp', ...args, rpm]).stdout.trim();
  beforeAll(() => {
    const r = run('bash', [resolve(REPO, 'packaging/rpm/build.sh'), '--outdir', out], { timeoutMs: 120_000 });
    expect(r.status, r.stderr).toBe(0);
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('is a noarch package of the package.json version', () => {
    expect(q('--qf', '%{NAME} %{VERSION} %{RELEASE} %{ARCH}')).toBe(`cryptvm ${version} 1 noarch`);
  });

  it('installs the bundles, symlinks, units, policy, config, keys directory and man pages', () => {
    const files = new Map<string, string>();
    for (const line of q('--qf', '[%{FILEMODES:perms} %{FILENAMES}\\n]').split('\n')) {
      const [perm, path] = line.split(' ');
      files.set(path as string, perm as string);
    }
    expect(Object.fromEntries(files)).toMatchObject({
      '/usr/lib/cryptvm/cryptvmd.mjs': '-rwxr-xr-x',
      '/usr/lib/cryptvm/cryptvm.mjs': '-rwxr-xr-x',
      '/usr/sbin/cryptvmd': 'lrwxrwxrwx',
      '/usr/bin/cryptvm': 'lrwxrwxrwx',
      '/usr/lib/systemd/system/cryptvm.service': '-rw-r--r--',
      '/usr/lib/systemd/system/cryptvm-guests.service': '-rw-r--r--',
      '/usr/lib/systemd/system/cryptvm-ask.service': '-rw-r--r--',
      '/usr/share/dbus-1/system.d/org.cryptvm.Manager1.conf': '-rw-r--r--',
      '/etc/cryptvm/cryptvm.toml': '-rw-r--r--',
      '/etc/cryptvm/keys': 'drwx------',
      '/usr/share/man/man8/cryptvm.8.gz': '-rw-r--r--',
      '/usr/share/man/man8/cryptvmd.8.gz': '-rw-r--r--',
      '/usr/share/man/man5/cryptvm.toml.5.gz': '-rw-r--r--',
    });
    expect(q('-c')).toBe('/etc/cryptvm/cryptvm.toml');
  });

  it('requires the programs the daemon runs', () => {
    const requires = q('-R').split('\n').map((l) => l.trim());
    expect(requires).toEqual(expect.arrayContaining(['nodejs >= 18.19', 'cryptsetup', 'libvirt-client', 'dbus', 'systemd', 'device-mapper', 'util-linux']));
  });

  it('restarts only the daemon on upgrade and stops guests before the daemon on erase', () => {
    const scripts = q('--scripts');
    expect(scripts).toMatch(/"\$1" -ge 1[\s\S]*systemctl try-restart cryptvm\.service/);
    expect(scripts).not.toMatch(/restart cryptvm-guests/);
    const stopGuests = scripts.indexOf('disable --now cryptvm-guests.service');
    const stopDaemon = scripts.indexOf('disable --now cryptvm.service');
    expect(stopGuests).toBeGreaterThan(-1);
    expect(stopDaemon).toBeGreaterThan(stopGuests);
    expect(scripts).toMatch(/if \[ "\$1" -eq 0 \][^\n]*\n\s*systemctl --no-reload disable --now cryptvm-guests/);
  });
});
