// (b) Planner scale: planGuestStarts / planGuestStops / planCloses for 1 000 and 5 000 volumes × guests
// (each guest uses two volumes, every tenth guest is ordered after the previous one, half the volumes open,
// half the guests running). Baseline in the same run: a trivial loop over the same arrays (a Set of open
// volumes, then each guest's volumes checked against it) — the least any planner must do.
import type { DomainRun, ObservedGuest, ObservedVolume } from '../src/planner/types.js';
import { planGuestStarts } from '../src/planner/guests.js';
import { planCloses, planGuestStops } from '../src/planner/shutdown.js';
import { config, guest, volume } from '../test/helpers/config.js';
import { medianMs, round, type Row } from './stats.js';

function world(n: number) {
  const vols = Array.from({ length: n }, (_, i) => volume(`v${i}`));
  const guests = Array.from({ length: n }, (_, i) => guest(`g${i}`, { after: i % 10 === 9 ? [`g${i - 1}`] : [], volumes: [`v${i}`, `v${(i + 1) % n}`] }));
  const cfg = config(vols, guests);
  const ov: ObservedVolume[] = vols.map((v, i) => ({ name: v.name, phase: i % 2 === 0 ? 'open' : 'locked', mounted: false }) as ObservedVolume);
  const og: ObservedGuest[] = guests.map((g, i) => ({ name: g.name, run: (i % 2 === 0 ? 'running' : 'shut-off') as DomainRun, volumes: g.volumes, wanted: true, startedAtMs: undefined }));
  return { cfg, ov, og };
}

function baseline(ov: ObservedVolume[], og: ObservedGuest[]): number {
  const open = new Set<string>();
  for (const v of ov) if (v.phase === 'open') open.add(v.name);
  let ready = 0;
  for (const g of og) if (g.volumes.every((v) => open.has(v))) ready++;
  return ready;
}

export async function plannerBench(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const n of [1000, 5000]) {
    const { cfg, ov, og } = world(n);
    const reps = n === 1000 ? 9 : 5;
    baseline(ov, og); // warm-up (JIT)
    const base = await medianMs(reps, () => baseline(ov, og));
    const cases: [string, () => unknown][] = [
      ['planGuestStarts', () => planGuestStarts(cfg, ov, og, 0)],
      ['planGuestStops', () => planGuestStops(cfg, og)],
      ['planCloses', () => planCloses(ov, og)],
    ];
    rows.push({ bench: 'planner', case: `baseline loop, n=${n}`, value: round(base, 3), unit: 'ms', ratio: 1, baseline: 'trivial loop' });
    for (const [name, fn] of cases) {
      fn(); // warm-up (JIT)
      const ms = await medianMs(reps, fn);
      rows.push({ bench: 'planner', case: `${name}, n=${n}`, value: round(ms, 3), unit: 'ms', ratio: round(ms / base, 1), baseline: 'trivial loop' });
    }
  }
  return rows;
}
