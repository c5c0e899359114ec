// Shutdown order: guests in reverse `after=` order (a guest stops before the guests it started after), in
// parallel within a layer; then the volumes no running guest holds any more.
import type { Config } from '../config/types.js';
import { topoLayers } from '../config/graph.js';
import type { ObservedGuest, ObservedVolume } from './types.js';

/** Layers of guests to stop; every guest of layer i is off before layer i+1 begins. */
export function planGuestStops(config: Config, guests: readonly ObservedGuest[], only?: ReadonlySet<string>): string[][] {
  const active = new Set(guests.filter((g) => (g.run === 'running' || g.run === 'paused') && (!only || only.has(g.name))).map((g) => g.name));
  // Stop order is the start order reversed: a guest started after `pred` must be off before `pred` stops,
  // so at stop time `pred` depends on it. (topoLayers: deps.get(n) = nodes that must come before n.)
  // The graph spans every configured guest so that order stays transitive through guests already off.
  const names = config.guests.map((g) => g.name);
  const deps = new Map<string, string[]>();
  for (const g of config.guests) {
    for (const pred of g.after) {
      const list = deps.get(pred);
      if (list) list.push(g.name);
      else deps.set(pred, [g.name]);
    }
  }
  const result = topoLayers(names, deps);
  // The config loader refuses cycles, so this cannot happen with a validated config; stay safe anyway.
  const layers = 'cycle' in result ? [names] : result.layers;
  // Guests libvirt runs that the config no longer names (after a reload) go first, alone in their layer.
  const known = new Set(names);
  const unknown = [...active].filter((n) => !known.has(n));
  return [unknown, ...layers.map((l) => l.filter((n) => active.has(n)))].filter((l) => l.length > 0);
}

export interface ClosePlan {
  /** Close these (unmount first when mounted). */
  close: string[];
  /** Volume → running guests that still hold it: never closed under them. */
  held: Map<string, string[]>;
}

export function planCloses(volumes: readonly ObservedVolume[], guests: readonly ObservedGuest[], only?: ReadonlySet<string>): ClosePlan {
  const close: string[] = [];
  const held = new Map<string, string[]>();
  const usersOf = new Map<string, string[]>();
  for (const g of guests) {
    if (g.run === 'shut-off' || g.run === 'missing') continue;
    for (const v of g.volumes) {
      const list = usersOf.get(v);
      if (list) list.push(g.name);
      else usersOf.set(v, [g.name]);
    }
  }
  for (const v of volumes) {
    if (v.phase !== 'open' || (only && !only.has(v.name))) continue;
    const users = usersOf.get(v.name);
    if (users) held.set(v.name, users);
    else close.push(v.name);
  }
  return { close, held };
}
