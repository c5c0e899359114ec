// `cryptvm plan`: the steps boot and shutdown would run, from the config and the current state, made by the
// same functions the daemon's boot and stop path execute. Pure.
import type { Config } from '../config/types.js';
import { bootSteps, type BootVolume } from './boot-steps.js';
import { conflicts, type ConflictGuest } from './conflicts.js';
import { afterStops, CLOSE_TIMEOUT_MS, closeSteps, guestStopSteps } from './shutdown.js';
import type { Step } from './steps.js';
import type { DomainRun, GuestPhase, ObservedGuest, ObservedVolume } from './types.js';

export interface StepPlan {
  boot: Step[];
  /** Guest shutdown layers (fallbacks inside each shutdown step), then the unmounts and closes. */
  shutdown: Step[];
  /** Things that will bite (libvirt autostart on a gated guest, unknown domain, …). */
  conflicts: string[];
}

/** What the plan needs to know of the present state (the daemon's status has these fields). */
export interface PlanInput {
  volumes: readonly BootVolume[];
  guests: readonly (ConflictGuest & { state: GuestPhase })[];
}

export function describePlan(config: Config, now: PlanInput, unit: string): StepPlan {
  const gvols = new Map(now.guests.map((g) => [g.name, g.volumes]));
  return { boot: bootSteps(config, now.volumes, gvols, unit), shutdown: shutdownSteps(config, now), conflicts: conflicts(config, now.guests) };
}

/**
 * The shutdown the daemon would run now: guest layers (every guest of a layer is off before the next begins),
 * then every open volume unmounted and closed, all at once, in the layer after. A volume the state does not
 * know yet (before READY) counts as open.
 */
function shutdownSteps(config: Config, now: PlanInput): Step[] {
  const gstate = new Map(now.guests.map((g) => [g.name, g]));
  const vstate = new Map(now.volumes.map((v) => [v.name, v]));
  const guests: ObservedGuest[] = config.guests.map((g) => {
    const s = gstate.get(g.name);
    const run: DomainRun = !s || ['running', 'paused', 'starting', 'stopping'].includes(s.state) ? 'running' : 'shut-off';
    return { name: g.name, run, volumes: [...(s?.volumes ?? g.volumes)], wanted: false, startedAtMs: undefined };
  });
  const volumes: ObservedVolume[] = config.volumes.map((v) => ({ name: v.name, phase: vstate.get(v.name)?.state ?? 'open', mounted: false }));
  const stops = guestStopSteps(config, guests);
  const layer = Math.max(0, ...stops.map((s) => s.layer)) + 1;
  return [...stops, ...closeSteps(config, volumes, afterStops(guests, stops), layer, CLOSE_TIMEOUT_MS).steps];
}
