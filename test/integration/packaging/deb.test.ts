// `npm run deb`: the .deb as users get it — fields, files and modes, conffiles, lintian without errors, and
// the installed binaries starting on Node 18.19 and 20 from the unpacked tree.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasProgram, node18, REPO, run } from './tools.js';

const version = (JSON.parse(readFileSync(resolve(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const missing = ['dpkg-deb', 'fakeroot', 'gzip'].filter((p) => !hasProgram(p));
if (missing.length > 0) console.warn(`SKIPPED test/integration/packaging/deb.test.ts: missing ${missing.join(', ')}`);
const noLintian = hasProgram('lintian') ? undefined : 'lintian is not installed (apt-get install lintian)';
if (noLintian) console.warn(`SKIPPED lintian check: ${noLintian}`);

describe.skipIf(missing.length > 0)('cryptvm .deb', () => {
  const out = mkdtempSync(join(tmpdir(), 'cryptvm-deb-'));
  const deb = join(out, `cryptvm_${version}-1_all.deb`);
  const tree = join(out, 'tree');
  const control = join(out, 'control');
  beforeAll(() => {
    const r = run('bash', [resolve(REPO, 'packaging/deb/build.sh'), '--outdir', out], { timeoutMs: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(run('dpkg-deb', ['-x', deb, tree]).status).toBe(0);
    expect(run('dpkg-deb', ['-e', deb, control]).status).toBe(0);
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('has the control fields of an architecture-independent admin package', () => {
    const field = (f: string): string => run('dpkg-deb', ['-f', deb, f]).stdout.trim();
    expect(field('Package')).toBe('cryptvm');
    expect(field('Version')).toBe(`${version}-1`);
    expect(field('Architecture')).toBe('all');
    expect(field('Section')).toBe('admin');
    expect(field('Priority')).toBe('optional');
    expect(field('Recommends')).toBe('libvirt-daemon-system');
    const depends = field('Depends').split(/,\s*/);
    expect(depends).toEqual(['nodejs (>= 18.19)', 'cryptsetup-bin', 'libvirt-clients', 'dbus', 'systemd', 'dmsetup', 'mount']);
    expect(Number(field('Installed-Size'))).toBeGreaterThan(0);
  });

  it('installs the expected files, owned by root, with the expected modes', () => {
    const listing = new Map<string, string>();
    for (const line of run('dpkg-deb', ['-c', deb]).stdout.trim().split('\n')) {
      const [perm, owner, , , , path] = line.split(/\s+/);
      listing.set((path as string).replace(/^\./, ''), `${perm} ${owner}`);
    }
    const expected: Record<string, string> = {
      '/usr/lib/cryptvm/cryptvmd.mjs': '-rwxr-xr-x',
      '/usr/lib/cryptvm/cryptvm.mjs': '-rwxr-xr-x',
      '/lib/systemd/system/cryptvm.service': '-rw-r--r--',
      '/lib/systemd/system/cryptvm-guests.service': '-rw-r--r--',
      '/usr/share/dbus-1/system.d/org.cryptvm.Manager1.conf': '-rw-r--r--',
      '/etc/cryptvm/cryptvm.toml': '-rw-r--r--',
      '/etc/cryptvm/keys/': 'drwx------',
      '/usr/share/man/man8/cryptvm.8.gz': '-rw-r--r--',
      '/usr/share/man/man8/cryptvmd.8.gz': '-rw-r--r--',
      '/usr/share/man/man5/cryptvm.toml.5.gz': '-rw-r--r--',
      '/usr/share/doc/cryptvm/copyright': '-rw-r--r--',
      '/usr/share/doc/cryptvm/changelog.Debian.gz': '-rw-r--r--',
      '/usr/share/doc/cryptvm/examples/cryptvm-alerts.yml': '-rw-r--r--',
      '/usr/share/doc/cryptvm/examples/cryptvm-alerts.test.yml': '-rw-r--r--',
      '/usr/share/doc/cryptvm/examples/tell-admin-mail': '-rw-r--r--',
    };
    for (const [path, perm] of Object.entries(expected)) expect(listing.get(path), path).toBe(`${perm} root/root`);
    const files = [...listing.keys()].filter((p) => !p.endsWith('/') && !listing.get(p)?.startsWith('l'));
    expect(files.sort()).toEqual(Object.keys(expected).filter((p) => !p.endsWith('/')).sort());
    // The commands are relative symlinks to the .mjs bundles: Node picks ESM by the real file's extension.
    const links = run('dpkg-deb', ['-c', deb]).stdout.split('\n').filter((l) => l.startsWith('l'));
    expect(links.map((l) => l.replace(/^.*\s\.(\/\S+ -> \S+)$/, '$1')).sort()).toEqual([
      '/usr/bin/cryptvm -> ../lib/cryptvm/cryptvm.mjs',
      '/usr/sbin/cryptvmd -> ../lib/cryptvm/cryptvmd.mjs',
    ]);
  });

  it('ships the shipped sources unchanged, the config as a conffile, and executable maintainer scripts', () => {
    expect(readFileSync(join(tree, 'lib/systemd/system/cryptvm.service'), 'utf8')).toBe(readFileSync(resolve(REPO, 'systemd/cryptvm.service'), 'utf8'));
    expect(readFileSync(join(tree, 'etc/cryptvm/cryptvm.toml'), 'utf8')).toBe(readFileSync(resolve(REPO, 'packaging/cryptvm.toml'), 'utf8'));
    expect(readFileSync(join(control, 'conffiles'), 'utf8')).toBe('/etc/cryptvm/cryptvm.toml\n');
    for (const s of ['postinst', 'prerm', 'postrm']) {
      expect(run('test', ['-x', join(control, s)]).status, s).toBe(0);
      expect(readFileSync(join(control, s), 'utf8'), s).toBe(readFileSync(resolve(REPO, 'packaging/deb', s), 'utf8'));
    }
    // md5sums cover every installed file and match
    const sums = run('md5sum', ['-c', join(control, 'md5sums')], { cwd: tree });
    expect(sums.status, sums.stdout + sums.stderr).toBe(0);
  });

  it('has gzip -9n man pages that render without warnings', () => {
    for (const page of ['usr/share/man/man8/cryptvm.8.gz', 'usr/share/man/man8/cryptvmd.8.gz', 'usr/share/man/man5/cryptvm.toml.5.gz']) {
      const r = run('sh', ['-c', `gzip -dc "$1" | groff -man -Tutf8 -ww -z`, 'sh', join(tree, page)]);
      expect(r.stderr, page).toBe('');
      expect(r.status, page).toBe(0);
    }
  });

  it.skipIf(noLintian !== undefined)('has no lintian errors', () => {
    const r = run('lintian', ['--pedantic', '--tag-display-limit', '0', deb], { timeoutMs: 300_000 });
    const tags = r.stdout.trim();
    console.log(`lintian ${deb}:\n${tags || '(no tags)'}`);
    expect(tags.split('\n').filter((l) => l.startsWith('E:'))).toEqual([]);
  });

  const n18 = node18();
  const runtimes: [string, string | undefined][] = [
    ['Node 18.19', 'path' in n18 ? n18.path : undefined],
    [`Node ${process.versions.node}`, process.execPath],
  ];
  if ('reason' in n18) console.warn(`SKIPPED Node 18 run of the packaged binaries: ${n18.reason}`);
  it.each(runtimes)('installed binaries print the version on %s', (_label, node) => {
    if (node === undefined) return;
    for (const bin of ['usr/sbin/cryptvmd', 'usr/bin/cryptvm']) {
      const r = run(node, [join(tree, bin), '--version'], { cwd: tree, env: { PATH: process.env.PATH } });
      expect(r.status, `${bin}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain(version);
    }
  });

  it.skipIf(!hasProgram('/usr/bin/node'))('installed commands run through their #!/usr/bin/node line', () => {
    for (const bin of ['usr/sbin/cryptvmd', 'usr/bin/cryptvm']) {
      const r = run(join(tree, bin), ['--version'], { cwd: tree, env: { PATH: process.env.PATH } });
      expect(r.status, `${bin}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain(version);
    }
  });
});
