// Small helpers shared by the benchmarks: timing, medians, ratios. Benchmarks report, they never assert.
import { performance } from 'node:perf_hooks';

export interface Row {
  bench: string;
  case: string;
  value: number;
  unit: string;
  /** value / baseline value, measured in the same run. */
  ratio?: number;
  baseline?: string;
  note?: string;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  const at = (i: number): number => s[i] ?? NaN;
  return s.length % 2 ? at(m) : (at(m - 1) + at(m)) / 2;
}

export async function timeMs(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export async function medianMs(n: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) xs.push(await timeMs(fn));
  return median(xs);
}

export const round = (x: number, digits = 2): number => Number(x.toFixed(digits));
