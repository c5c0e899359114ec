// Start order between guests: `after` edges form a graph that must be acyclic. Layers start in order
// (each guest in a layer may start in parallel); shutdown walks the layers backwards. Pure, so the planner
// reuses it.

import { CryptvmError } from '../errors.js';
import type { GuestConfig } from './types.js';

export type TopoResult = { layers: string[][] } | { cycle: string[] };

/**
 * Kahn's algorithm by layers. `edges.get(n)` lists the nodes n comes after; edges to nodes not in
 * `nodes` are ignored (validation reports them separately). Within a layer, nodes keep their input order so
 * plans read like the config file. On a cycle, returns it closed: ["imap", "dns", "imap"].
 */
export function topoLayers(nodes: string[], edges: Map<string, string[]>): TopoResult {
  const known = new Set(nodes);
  const deps = new Map<string, Set<string>>();
  for (const n of nodes) deps.set(n, new Set((edges.get(n) ?? []).filter((d) => known.has(d))));
  const layers: string[][] = [];
  const done = new Set<string>();
  while (done.size < known.size) {
    const layer = nodes.filter((n) => !done.has(n) && [...(deps.get(n) ?? [])].every((d) => done.has(d)));
    if (layer.length === 0) return { cycle: findCycle(nodes.filter((n) => !done.has(n)), deps) };
    for (const n of layer) done.add(n);
    layers.push([...new Set(layer)]);
  }
  return { layers };
}

/** A cycle among `left` (every node there has an unfinished dependency, so one exists). */
function findCycle(left: string[], deps: Map<string, Set<string>>): string[] {
  const remaining = new Set(left);
  const path: string[] = [];
  let node = left[0] as string;
  // Follow any remaining dependency until a node repeats: each remaining node has one.
  while (!path.includes(node)) {
    path.push(node);
    node = [...(deps.get(node) ?? [])].find((d) => remaining.has(d)) as string;
  }
  return [...path.slice(path.indexOf(node)), node];
}

/** Guest names in start layers; throws when `after` has a cycle (validation refuses those files first). */
export function guestOrder(guests: GuestConfig[]): string[][] {
  const result = topoLayers(
    guests.map((g) => g.name),
    new Map(guests.map((g) => [g.name, g.after])),
  );
  if ('cycle' in result) {
    throw new CryptvmError('Config', `guest start order has a cycle: ${result.cycle.join(' → ')}`);
  }
  return result.layers;
}
