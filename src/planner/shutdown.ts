// Shutdown order: guests in reverse `after=` order (a guest stops before the guests it started after), in
// parallel within a layer; then the volumes no running guest holds any more.
import type { Config } from '../config/types.js';
import { topoLayers } from '../config/graph.js';
import type { ObservedGuest, ObservedVolume } from './types.js';
import type { CloseStep, ShutdownStep, TimeoutStep, UnmountStep } from './steps.js';

/** How long an unmount or a close is retried while the volume is busy. */
export const CLOSE_TIMEOUT_MS = 60_000;

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

/** The guest half of a shutdown: planGuestStops' layers as shutdown steps, each with its on_timeout fallback. */
export function guestStopSteps(config: Config, guests: readonly ObservedGuest[], only?: ReadonlySet<string>): ShutdownStep[] {
  const cfg = new Map(config.guests.map((g) => [g.name, g]));
  return planGuestStops(config, guests, only).flatMap((names, i) =>
    names.map((guest) => {
      const layer = i + 1;
      const g = cfg.get(guest);
      // A guest a reload removed from the config still runs: the daemon's defaults stop it.
      const onTimeout = g?.onTimeout ?? 'destroy';
      const timeoutMs = g?.shutdownTimeoutMs ?? config.daemon.shutdownTimeoutMs;
      const fallback: TimeoutStep =
        onTimeout === 'managedsave'
          ? { kind: 'save', layer, guest, when: 'shutdown-timed-out', fallback: { kind: 'destroy', layer, guest, when: 'save-refused-or-failed' } }
          : { kind: 'destroy', layer, guest, when: 'shutdown-timed-out' };
      return { kind: 'shutdown', layer, guest, timeoutMs, onTimeout, fallback } satisfies ShutdownStep;
    }),
  );
}

export interface CloseSteps {
  /** Unmount (when it has a mount point) and close every volume planCloses closes, all in `layer`. */
  steps: (UnmountStep | CloseStep)[];
  /** Volume → running guests that still hold it: never closed under them. */
  held: Map<string, string[]>;
}

export function closeSteps(config: Config, volumes: readonly ObservedVolume[], guests: readonly ObservedGuest[], layer: number, timeoutMs: number, only?: ReadonlySet<string>): CloseSteps {
  const { close, held } = planCloses(volumes, guests, only);
  const mountOf = new Map(config.volumes.map((v) => [v.name, v.mount?.where]));
  const observed = new Map(volumes.map((v) => [v.name, v]));
  return { steps: close.flatMap((volume) => volumeCloseSteps(volume, observed.get(volume)?.mountPoint ?? mountOf.get(volume), layer, timeoutMs)), held };
}

/** One volume's unmount (when it has a mount point) and close, in `layer`. `cryptvm lock` runs these whatever its phase. */
export function volumeCloseSteps(volume: string, where: string | undefined, layer: number, timeoutMs: number): (UnmountStep | CloseStep)[] {
  const closing: CloseStep = { kind: 'close', layer, volume, mapping: `/dev/mapper/${volume}`, timeoutMs };
  return where ? [{ kind: 'unmount', layer, volume, where, timeoutMs }, closing] : [closing];
}

/** Guests as they will be once these steps have run: every guest they shut down is off. */
export function afterStops(guests: readonly ObservedGuest[], steps: readonly ShutdownStep[]): ObservedGuest[] {
  const stopped = new Set(steps.map((s) => s.guest));
  return guests.map((g) => (stopped.has(g.name) ? { ...g, run: 'shut-off' } : g));
}
