// Which guests need which volumes, and which guests may start now.
import type { Config, GuestConfig, VolumeConfig } from '../config/types.js';
import type { ObservedGuest, ObservedVolume } from './types.js';
import { startLayers, startStep } from './boot-steps.js';
import type { StartStep } from './steps.js';

export interface DomainDisk {
  type: 'block' | 'file' | 'other';
  source: string | undefined;
}

/**
 * Volumes a guest uses: a block disk whose source is /dev/mapper/<volume> (or a dm device the caller mapped
 * back to that name), a file under a volume's mount point, plus the volumes listed in the config.
 */
export function guestVolumes(guest: GuestConfig, disks: readonly DomainDisk[], volumes: readonly VolumeConfig[]): string[] {
  const found = new Set(guest.volumes);
  for (const disk of disks) {
    if (!disk.source) continue;
    for (const v of volumes) {
      if (disk.type === 'block' && disk.source === `/dev/mapper/${v.name}`) found.add(v.name);
      const where = v.mount?.where;
      if (disk.type === 'file' && where && isUnder(disk.source, where)) found.add(v.name);
    }
  }
  return volumes.map((v) => v.name).filter((n) => found.has(n));
}

function isUnder(path: string, dir: string): boolean {
  const d = dir.endsWith('/') ? dir : `${dir}/`;
  return path.startsWith(d);
}

export interface GuestStartPlan {
  /** Start these now: the boot's start steps (same layers as `cryptvm plan` prints). */
  start: StartStep[];
  /** Guest → volumes it still waits for. */
  waiting: Map<string, string[]>;
  /** Earliest time a delayed start becomes due; re-plan then. */
  nextAtMs: number | undefined;
}

/**
 * A wanted guest starts when all its volumes are open, its domain exists and is not running, and every guest
 * it is ordered `after` has been started at least `delay` ago. Ordering, not requirement: a predecessor that
 * is itself blocked on a locked volume does not hold it back (that would let one missing passphrase hold
 * every guest hostage on a headless host); a predecessor that can start now, or is starting, does.
 */
export function planGuestStarts(config: Config, volumes: readonly ObservedVolume[], guests: readonly ObservedGuest[], nowMs: number): GuestStartPlan {
  const open = new Set(volumes.filter((v) => v.phase === 'open').map((v) => v.name));
  const byName = new Map(guests.map((g) => [g.name, g]));
  const cfg = new Map(config.guests.map((g) => [g.name, g]));
  const waiting = new Map<string, string[]>();
  const ready = new Set<string>();
  for (const g of guests) {
    if (!g.wanted || g.run === 'running' || g.run === 'paused') continue;
    const missing = g.volumes.filter((v) => !open.has(v));
    if (missing.length > 0) waiting.set(g.name, missing);
    else if (g.run === 'shut-off') ready.add(g.name);
  }
  const start: StartStep[] = [];
  let layers: Map<string, number> | undefined; // the `after=` graph's depths, only once something starts
  let nextAtMs: number | undefined;
  for (const name of ready) {
    const guestCfg = cfg.get(name);
    let dueAt = -Infinity;
    let blocked = false;
    for (const pred of guestCfg?.after ?? []) {
      const p = byName.get(pred);
      if (!p) continue;
      if (ready.has(pred)) blocked = true; // predecessor starts in this round or an earlier one: wait for it
      else if (p.run === 'running' && p.startedAtMs !== undefined) dueAt = Math.max(dueAt, p.startedAtMs);
    }
    if (blocked) continue;
    const at = dueAt + (guestCfg?.delayMs ?? 0);
    if (at <= nowMs) start.push(startStep(guestCfg, name, byName.get(name)?.volumes ?? [], (layers ??= startLayers(config))));
    else nextAtMs = Math.min(nextAtMs ?? Infinity, at);
  }
  return { start, waiting, nextAtMs };
}
