// Checks across tables: names and devices unique, mount points apart, guest references resolvable and
// acyclic. Each problem is reported on the later of two conflicting tables, naming the earlier one.

import { topoLayers } from './graph.js';
import type { Problems } from './problem.js';
import { closest } from './suggest.js';
import type { GuestConfig, VolumeConfig } from './types.js';
import { isInside } from './values.js';

/** A table by its display key ("volume#2"), its name if it has a string one, its value if it resolved. */
export interface Entry<T> {
  base: string;
  name: string | undefined;
  value: T | undefined;
}

/** Sameness of devices as written: equal normalized paths, or the same UUID via device = "UUID=…" or uuid. */
function identities(v: VolumeConfig): [string, string][] {
  const ids: [string, string][] = [];
  const tag = /^UUID=(.+)$/.exec(v.device);
  if (tag) ids.push(['device', `uuid:${(tag[1] as string).toLowerCase()}`]);
  else ids.push(['device', v.device.startsWith('/') ? `path:${v.device.replace(/\/+/g, '/')}` : v.device]);
  if (v.uuid !== undefined) ids.push(['uuid', `uuid:${v.uuid}`]);
  return ids;
}

export function checkVolumes(p: Problems, volumes: Entry<VolumeConfig>[]): void {
  const names = new Map<string, string>();
  const devices = new Map<string, VolumeConfig>();
  const mounts: VolumeConfig[] = [];
  for (const { base, name, value: v } of volumes) {
    if (name !== undefined) {
      const first = names.get(name);
      const msg = `volume name "${name}" is already used at line ${p.lineOf(first ?? base)}`;
      if (first) p.error(`${base}.name`, msg, 'give each [[volume]] its own name');
      else names.set(name, base);
    }
    if (!v) continue;
    for (const [leaf, id] of identities(v)) {
      const other = devices.get(id);
      const written = leaf === 'device' ? v.device : v.uuid;
      if (other && other !== v) {
        const msg = `${leaf} "${written}" is the same device as volume "${other.name}" (line ${other.line})`;
        p.error(`${base}.${leaf}`, msg, 'open each device through one [[volume]] only');
      } else devices.set(id, v);
    }
    if (v.mount) {
      const where = v.mount.where;
      const other = mounts.find((m) => m.mount && (isInside(where, m.mount.where) || isInside(m.mount.where, where)));
      if (other?.mount) {
        const msg = other.mount.where === where
          ? `mount point ${where} is also the mount point of volume "${other.name}" (line ${other.line})`
          : `mount point ${where} and ${other.mount.where} of volume "${other.name}" (line ${other.line}) are nested`;
        p.error(`${base}.mount.where`, msg, 'mount each volume on its own directory, side by side');
      }
      mounts.push(v);
    }
  }
}

export function checkGuests(p: Problems, guests: Entry<GuestConfig>[], volumeNames: string[]): void {
  const names = new Map<string, string>();
  for (const { base, name } of guests) {
    if (name === undefined) continue;
    const first = names.get(name);
    const msg = `guest name "${name}" is already used at line ${p.lineOf(first ?? base)}`;
    if (first) p.error(`${base}.name`, msg, 'list each guest once');
    else names.set(name, base);
  }
  const guestNames = [...names.keys()];
  const unknown = (base: string, leaf: string, i: number, what: string, ref: string, known: string[]): void => {
    const guess = closest(ref, known);
    const msg = `no ${what} named "${ref}" in this file${guess ? `, did you mean "${guess}"?` : ''}`;
    const fix = `add a [[${what}]] with that name, or correct the name`;
    p.error(`${base}.${leaf}`, msg, fix, p.lineOf(`${base}.${leaf}[${i}]`));
  };
  for (const { base, value: g } of guests) {
    if (!g) continue;
    g.volumes.forEach((v, i) => volumeNames.includes(v) || unknown(base, 'volumes', i, 'volume', v, volumeNames));
    g.after.forEach((a, i) => names.has(a) || unknown(base, 'after', i, 'guest', a, guestNames));
  }
  const resolved = guests.flatMap((e) => (e.value ? [e.value] : []));
  const order = topoLayers(guestNames, new Map(resolved.map((g) => [g.name, g.after])));
  if ('cycle' in order) {
    const base = names.get(order.cycle[0] as string) as string;
    const msg = `start order has a cycle: ${order.cycle.join(' → ')}`;
    p.error(`${base}.after`, msg, 'remove one of these "after" entries');
  }
}
