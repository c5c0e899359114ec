// Stop or restart? On SIGTERM the daemon either keeps everything for the next daemon (restart, package
// upgrade) or stops the guests and closes the volumes (stop, shutdown). The unit's job on the system bus says
// which; when that cannot be asked or there is no job, a system that is shutting down still says so in
// `systemctl is-system-running` (PID 1's private socket): then it is a stop. Anything else keeps everything
// — a guest left running can be stopped later, a guest killed with its disks cannot be undone.
import type { Logger } from '../log/logger.js';
import type { StopIntent } from '../adapters/systemd.js';
import { errorMessage } from '../errors.js';

export interface StopIntentDeps {
  /** The unit's job over the system bus; undefined when there is no bus. */
  jobIntent: (() => Promise<StopIntent>) | undefined;
  /** `systemctl is-system-running`; throws when systemd cannot be asked. */
  systemState: (() => Promise<string>) | undefined;
  log: Logger;
}

export interface StopDecision {
  intent: 'stop' | 'keep';
  why: string;
}

export async function decideStop(deps: StopIntentDeps): Promise<StopDecision> {
  let job: StopIntent = 'unknown';
  let jobWhy = 'no system bus';
  if (deps.jobIntent) {
    try {
      job = await deps.jobIntent();
      jobWhy = job === 'unknown' ? 'the unit has no stop or restart job' : `the unit's job is ${job}`;
    } catch (e) {
      jobWhy = `cannot ask systemd for the unit's job: ${errorMessage(e)}`;
      deps.log.warn({ err: e }, jobWhy);
    }
  }
  if (job === 'stop') return { intent: 'stop', why: jobWhy };
  if (job === 'restart') return { intent: 'keep', why: jobWhy };
  if (!deps.systemState) return { intent: 'keep', why: `${jobWhy}; treated as a restart` };
  try {
    const state = await deps.systemState();
    if (state === 'stopping') return { intent: 'stop', why: `${jobWhy}, and the system is shutting down` };
    return { intent: 'keep', why: `${jobWhy}, and the system is ${state}: treated as a restart` };
  } catch (e) {
    deps.log.warn({ err: e }, `cannot ask systemd whether the system is shutting down: ${errorMessage(e)}`);
    return { intent: 'keep', why: `${jobWhy}, and systemd cannot say whether the system is shutting down: treated as a restart` };
  }
}

/** Whether libvirt's daemon runs (guests can be stopped through it); a unit that cannot be asked is logged. */
export async function libvirtActive(units: { activeState(unit: string): Promise<string> } | undefined, log: Logger): Promise<boolean> {
  if (!units) return false;
  for (const u of ['libvirtd.service', 'virtqemud.service']) {
    const s = await units.activeState(u).catch((e: unknown) => {
      log.warn({ unit: u, err: e }, `cannot ask systemd whether ${u} is active: ${errorMessage(e)}`);
      return 'unknown';
    });
    if (s === 'active' || s === 'reloading') return true;
  }
  return false;
}
