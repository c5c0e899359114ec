// `npm run bench` (via scripts/bench.mjs, which bundles this file): runs the performance benchmarks, each
// against a baseline measured in the same run, prints one table and writes .cache/bench/results.json.
// Numbers are reported, never asserted. Usage: bench.mjs [--only keyslot,planner,footprint,shutdown,boot]
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { bootBench } from './boot.js';
import { footprintBench } from './footprint.js';
import { keyslotBench } from './keyslot.js';
import { plannerBench } from './planner.js';
import { shutdownBench } from './shutdown.js';
import type { Row } from './stats.js';

interface Env {
  root: string;
  daemonBundle: string;
  node18: string | undefined;
  only: string[] | undefined;
}

function table(rows: Row[]): string {
  const head = ['bench', 'case', 'value', 'ratio', 'baseline / note'];
  const body = rows.map((r) => [r.bench, r.case, `${r.value} ${r.unit}`, r.ratio === undefined ? '' : `${r.ratio}`, [r.baseline, r.note].filter(Boolean).join('; ')]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 2 || i === 3 ? c.padStart(w[i] ?? 0) : c.padEnd(w[i] ?? 0))).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)].join('\n');
}

export async function main(env: Env): Promise<void> {
  const benches: [string, () => Promise<Row[]>][] = [
    ['planner', plannerBench],
    ['shutdown', shutdownBench],
    ['footprint', () => footprintBench(env.daemonBundle, env.node18)],
    ['keyslot', keyslotBench],
    ['boot', bootBench],
  ];
  const rows: Row[] = [];
  const errors: Record<string, string> = {};
  for (const [name, run] of benches) {
    if (env.only && !env.only.includes(name)) continue;
    const t0 = Date.now();
    process.stderr.write(`bench ${name} … `);
    try {
      rows.push(...(await run()));
      process.stderr.write(`${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    } catch (e) {
      errors[name] = (e as Error).message;
      process.stderr.write(`FAILED: ${(e as Error).message}\n`);
    }
  }
  console.log(table(rows));
  const outDir = join(env.root, '.cache', 'bench');
  mkdirSync(outDir, { recursive: true });
  const meta = { date: new Date().toISOString(), node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model };
  writeFileSync(join(outDir, 'results.json'), JSON.stringify({ ...meta, rows, errors }, null, 2) + '\n');
  console.log(`\nwritten to .cache/bench/results.json (${meta.node}, ${meta.cpus} cpus)`);
  if (Object.keys(errors).length > 0) process.exitCode = 1;
}
