// The stop path as planner steps run through the executors: guest shutdown layers, then the unmounts and
// closes of the volumes no running guest holds (planned after the guests are down, from what is left running).
import type { Config } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { CryptvmError, errorMessage } from '../errors.js';
import { CLOSE_TIMEOUT_MS, closeSteps, guestStopSteps } from '../planner/shutdown.js';
import type { ShutdownStep, Step } from '../planner/steps.js';
import type { ObservedVolume } from '../planner/types.js';
import type { GuestManager } from './guests.js';
import type { VolumeManager } from './volumes.js';
import { runLayers, stepFields, type StepFailure } from './steps.js';

export interface StopPath {
  config(): Config;
  volumes: VolumeManager;
  guests: GuestManager;
  log: Logger;
  run(step: Step): Promise<void>;
}

export interface GuestStops {
  steps: ShutdownStep[];
  failures: StepFailure[];
}

/** Shut down the named guests (all running ones when none are named) in reverse `after=` layers. */
export async function stopGuestLayers(p: Pick<StopPath, 'config' | 'guests' | 'run'>, names: readonly string[]): Promise<GuestStops> {
  const only = names.length > 0 ? new Set(names.map((n) => p.guests.mustGet(n).cfg.name)) : undefined;
  p.guests.unwant(only);
  const steps = guestStopSteps(p.config(), p.guests.observedGuests(), only);
  return { steps, failures: await runLayers(steps, p.run, p.config().daemon.parallelShutdown) };
}

/** The failures as one error (the single one as it is). */
export function failuresError(failures: readonly StepFailure[]): unknown {
  const errs = failures.map((f) => f.err);
  return errs.length === 1 ? errs[0] : new CryptvmError('Libvirt', errs.map(errorMessage).join('; '), { cause: errs });
}

export function logFailures(log: Logger, failures: readonly StepFailure[]): void {
  for (const f of failures) {
    const who = 'guest' in f.step ? { guest: f.step.guest } : 'volume' in f.step ? { volume: f.step.volume } : {};
    log.error({ ...who, err: f.err, ...stepFields('step-failed', f.step) }, errorMessage(f.err));
  }
}

function observedVolumes(volumes: VolumeManager): ObservedVolume[] {
  return [...volumes.records.values()].map((r) => ({ name: r.cfg.name, phase: r.phase, mounted: r.mounted, mountPoint: r.cfg.mount?.where }));
}

export interface Closes {
  failures: StepFailure[];
  /** Volume → running guests that still hold it: not closed. */
  held: Map<string, string[]>;
}

/**
 * Unmount and close (in `layer`) the open volumes, or only `only`, that no running guest holds; `guestsKnown`
 * false: libvirt was not asked, so no guest counts as holding one.
 */
export async function closeVolumes(p: StopPath, layer: number, guestsKnown: boolean, only?: ReadonlySet<string>): Promise<Closes> {
  const plan = closeSteps(p.config(), observedVolumes(p.volumes), guestsKnown ? p.guests.observedGuests() : [], layer, CLOSE_TIMEOUT_MS, only);
  return { failures: await runLayers(plan.steps, p.run, p.config().daemon.parallelShutdown), held: plan.held };
}

/** The layer after the guest layers. */
export function nextLayer(steps: readonly Step[]): number {
  return Math.max(0, ...steps.map((s) => s.layer)) + 1;
}
