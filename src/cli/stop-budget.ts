// How long stopping every guest can take at worst, against the time systemd gives it. Guests stop in
// reverse `after=` layers, parallel_shutdown at a time, each bounded by its shutdown_timeout (then its
// on_timeout action): when the sum under that schedule exceeds cryptvm-guests.service's TimeoutStopSec,
// systemd kills `cryptvm guests stop --wait` at shutdown and the rest of the guests die with their scopes.
import type { Config } from '../config/types.js';
import { guestStopSteps } from '../planner/shutdown.js';
import { byLayer } from '../planner/steps.js';

/** Worst case in ms: per layer of the daemon's shutdown steps, their timeouts scheduled in order onto parallel_shutdown slots. */
export function worstStopMs(config: Config): number {
  const everyone = config.guests.map((g) => ({ name: g.name, run: 'running' as const, volumes: g.volumes, wanted: false, startedAtMs: undefined }));
  const slots = Math.max(1, config.daemon.parallelShutdown);
  let total = 0;
  for (const layer of byLayer(guestStopSteps(config, everyone))) {
    const busy = new Array<number>(Math.min(slots, layer.length)).fill(0);
    for (const step of layer) {
      const i = busy.indexOf(Math.min(...busy));
      busy[i] = (busy[i] ?? 0) + step.timeoutMs;
    }
    total += Math.max(0, ...busy);
  }
  return total;
}

/** systemd's time span words (`systemctl show -p TimeoutStopUSec`): "30min", "1h 30min", "90s", "infinity". */
export function parseTimespanMs(text: string): number | undefined {
  const t = text.trim();
  if (t === 'infinity') return Infinity;
  const units: Record<string, number> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
  let total = 0;
  let matched = '';
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d|w)\b/g)) {
    total += Number(m[1]) * (units[m[2] as string] ?? 0);
    matched += m[0];
  }
  return matched.replace(/\s/g, '') === t.replace(/\s/g, '') && matched ? total : undefined;
}
