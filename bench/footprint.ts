// (c) Daemon footprint: start the bundled daemon with a config of 0 volumes and boot_wait 1s; time until its
// "ready" log line, its RSS (VmRSS) and CPU time (utime+stime) at that moment. Baseline in the same run: a bare
// `node -e` that prints "ready" (Node's own start-up). On Node 20 and, when present, the Node 18.19 binary
// of .cache/node18. The D-Bus connection fails on a machine without a system bus; READY comes before it.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { median, round, type Row } from './stats.js';

const TICKS = 100; // USER_HZ on Linux

interface Start {
  ms: number;
  rssKiB: number;
  cpuMs: number;
}

function startOnce(node: string, args: string[]): Promise<Start> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(node, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NOTIFY_SOCKET: '' } });
    let buf = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${node} ${args.join(' ')}: no "ready" line within 20 s`));
    }, 20_000);
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      if (!/"msg":"ready"|^ready$/m.test(buf)) return;
      const ms = performance.now() - t0;
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const stat = (readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
      const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
      const cpuMs = ((Number(stat[11]) + Number(stat[12])) * 1000) / TICKS; // utime, stime (fields 14, 15)
      clearTimeout(timer);
      child.kill('SIGKILL');
      child.stdout.removeAllListeners('data');
      resolve({ ms, rssKiB, cpuMs });
    });
    child.on('error', reject);
  });
}

async function medianStart(n: number, node: string, args: string[]): Promise<Start> {
  const runs: Start[] = [];
  for (let i = 0; i < n; i++) runs.push(await startOnce(node, args));
  return { ms: median(runs.map((r) => r.ms)), rssKiB: median(runs.map((r) => r.rssKiB)), cpuMs: median(runs.map((r) => r.cpuMs)) };
}

export async function footprintBench(daemonBundle: string, node18: string | undefined): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cryptvm-bench-fp-'));
  const cfg = join(dir, 'cryptvm.toml');
  writeFileSync(cfg, `[daemon]\nboot_wait = "1s"\nstate_dir = "${dir}/state"\nlibvirt_uri = "test:///default"\n`, { mode: 0o600 });
  const rows: Row[] = [];
  try {
    const nodes: [string, string][] = [[`node ${process.versions.node}`, process.execPath]];
    if (node18 && existsSync(node18)) nodes.push(['node 18 (.cache/node18)', node18]);
    for (const [label, bin] of nodes) {
      const base = await medianStart(5, bin, ['-e', "console.log('ready'); setTimeout(() => {}, 30000)"]);
      const d = await medianStart(5, bin, [daemonBundle, '--config', cfg]);
      const b = `bare node -e, ${label}`;
      rows.push(
        { bench: 'footprint', case: `${b}: start`, value: round(base.ms, 0), unit: 'ms', ratio: 1, baseline: b },
        { bench: 'footprint', case: `cryptvmd ${label}: start to "ready"`, value: round(d.ms, 0), unit: 'ms', ratio: round(d.ms / base.ms), baseline: b },
        { bench: 'footprint', case: `${b}: RSS`, value: Math.round(base.rssKiB / 1024), unit: 'MiB', ratio: 1, baseline: b },
        { bench: 'footprint', case: `cryptvmd ${label}: RSS at ready`, value: round(d.rssKiB / 1024, 1), unit: 'MiB', ratio: round(d.rssKiB / base.rssKiB), baseline: b },
        { bench: 'footprint', case: `cryptvmd ${label}: CPU to ready`, value: round(d.cpuMs, 0), unit: 'ms', ratio: round(d.cpuMs / Math.max(base.cpuMs, 1)), baseline: `${b} CPU ${round(base.cpuMs, 0)} ms` },
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
