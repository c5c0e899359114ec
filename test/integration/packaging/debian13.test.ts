// The .deb on Debian 13 (trixie), the other Debian release the package targets: a trixie tree made with mmdebstrap from
// this machine's own apt sources (suite names swapped; no mirror name in the repo), cached as a tarball under
// .cache/debian13; per run the .deb is installed into a fresh copy with dpkg. There trixie's systemd (257)
// verifies and scores the units, and both programs run on trixie's own Node.js.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasProgram, REPO, run } from './tools.js';

const SOURCES_DIR = '/etc/apt/sources.list.d';
/** What the package needs, plus what lets `systemd-analyze verify` resolve everything the units name. */
const PACKAGES = ['systemd', 'nodejs', 'cryptsetup-bin', 'libvirt-clients', 'dbus', 'dmsetup', 'mount', 'libvirt-daemon-system', 'man-db'];
const MAX_EXPOSURE = 3.5; // as on Debian 12 (test/integration/packaging/systemd.test.ts)

function trixieSources(): string | undefined {
  if (!existsSync(SOURCES_DIR)) return undefined;
  const text = readdirSync(SOURCES_DIR).filter((f) => f.endsWith('.sources')).sort()
    .map((f) => readFileSync(join(SOURCES_DIR, f), 'utf8')).join('\n\n');
  if (!/\bbookworm\b/.test(text)) return undefined;
  return text.replace(/\bbookworm(-security|-updates)?\b/g, (_m, suffix: string | undefined) => `trixie${suffix ?? ''}`);
}

const sources = trixieSources();
const missing = process.getuid?.() !== 0 ? 'needs root (chroot, dpkg)'
  : !hasProgram('mmdebstrap') ? 'mmdebstrap is not installed (scripts/setup.sh)'
  : !hasProgram('unshare') ? 'unshare is not installed'
  : sources === undefined ? `no bookworm deb822 sources in ${SOURCES_DIR} to derive trixie's from`
  : undefined;
if (missing) console.warn(`SKIPPED Debian 13 install test: ${missing}`);

const version = (JSON.parse(readFileSync(resolve(REPO, 'package.json'), 'utf8')) as { version: string }).version;

/** The cached trixie tarball, built once per (sources, package list). */
function baseTarball(): string {
  const hash = createHash('sha256').update(`${sources}\0${PACKAGES.join(',')}`).digest('hex').slice(0, 16);
  const dir = resolve(REPO, '.cache/debian13');
  const tar = join(dir, `trixie-${hash}.tar`);
  if (existsSync(tar)) return tar;
  mkdirSync(dir, { recursive: true });
  for (const old of readdirSync(dir)) rmSync(join(dir, old), { force: true });
  const r = run('mmdebstrap', ['--quiet', '--mode=root', '--variant=apt', `--include=${PACKAGES.join(',')}`,
    '--dpkgopt=path-exclude=/usr/share/doc/*', '--dpkgopt=path-exclude=/usr/share/locale/*', 'trixie', `${tar}.tmp.tar`, '-'],
  { input: sources, timeoutMs: 600_000 });
  if (r.status !== 0) throw new Error(`mmdebstrap trixie failed (exit ${r.status}): ${(r.stderr ?? '').trim().split('\n').slice(-5).join(' | ')}`);
  renameSync(`${tar}.tmp.tar`, tar);
  return tar;
}

describe.skipIf(missing !== undefined)('cryptvm .deb on Debian 13 (trixie)', () => {
  const work = mkdtempSync(join(tmpdir(), 'cryptvm-trixie-'));
  const tree = join(work, 'tree');
  /** A command in the tree, with /proc mounted in a private mount namespace (gone with it, whatever happens). */
  const inTree = (script: string) =>
    run('unshare', ['--mount', '--fork', 'sh', '-c', `mount -t proc proc "$1/proc" && exec chroot "$1" sh -c "$2"`, 'sh', tree, script], { timeoutMs: 120_000 });
  let install: ReturnType<typeof run>;

  beforeAll(() => {
    const tar = baseTarball();
    mkdirSync(tree);
    expect(run('tar', ['-xf', tar, '-C', tree], { timeoutMs: 120_000 }).status).toBe(0);
    const out = join(work, 'deb');
    const built = run('bash', [resolve(REPO, 'packaging/deb/build.sh'), '--outdir', out], { timeoutMs: 120_000 });
    expect(built.status, built.stderr).toBe(0);
    expect(run('cp', [join(out, `cryptvm_${version}-1_all.deb`), join(tree, 'tmp/cryptvm.deb')]).status).toBe(0);
    install = inTree('dpkg -i /tmp/cryptvm.deb');
  }, 900_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('installs with dpkg (dependencies from trixie) and enables both units', () => {
    expect(install.status, `${install.stdout}\n${install.stderr}`).toBe(0);
    const wants = readdirSync(join(tree, 'etc/systemd/system/multi-user.target.wants'));
    expect(wants).toEqual(expect.arrayContaining(['cryptvm.service', 'cryptvm-guests.service']));
    expect(readdirSync(join(tree, 'etc/systemd/system/cryptvm.service.wants'))).toEqual(['cryptvm-ask.service']);
  });

  it("both programs run on trixie's Node.js", () => {
    const r = inTree('node --version; cryptvm --version; cryptvm check-config /etc/cryptvm/cryptvm.toml; cryptvmd --version');
    expect(r.status, r.stderr).toBe(0);
    const [node, cli, check, daemon] = r.stdout.trim().split('\n');
    console.log(`Debian 13: Node.js ${node}`);
    expect(Number(/^v(\d+)\./.exec(node ?? '')?.[1])).toBeGreaterThanOrEqual(18);
    expect(cli).toBe(`cryptvm ${version}`);
    expect(check).toBe('/etc/cryptvm/cryptvm.toml: OK (0 volumes, 0 guests)');
    expect(daemon).toContain(version);
  });

  it(`systemd 257 verifies both units without a word and scores cryptvm.service at most ${MAX_EXPOSURE}`, () => {
    const verify = inTree('systemctl --version | head -n 1; systemd-analyze verify cryptvm.service cryptvm-guests.service cryptvm-ask.service 2>&1; echo "rc=$?"');
    const lines = verify.stdout.trim().split('\n');
    console.log(`Debian 13: ${lines[0]}`);
    expect(lines.slice(1)).toEqual(['rc=0']);
    const sec = inTree('systemd-analyze security --offline=true --no-pager cryptvm.service 2>/dev/null | tail -n 1');
    const score = Number(/Overall exposure level for cryptvm\.service: ([\d.]+)/.exec(sec.stdout)?.[1]);
    console.log(`Debian 13: systemd-analyze security cryptvm.service: ${score}`);
    expect(score).toBeLessThanOrEqual(MAX_EXPOSURE);
  });
});
