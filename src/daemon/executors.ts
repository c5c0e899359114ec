// The daemon's executor for every step kind, over the volume and guest managers. A shutdown's fallback (save,
// destroy) runs through this same map, so what runs on a timeout is the step the plan names.
import type { Logger } from '../log/logger.js';
import type { ReadyStep, Step } from '../planner/steps.js';
import type { GuestManager } from './guests.js';
import type { VolumeManager } from './volumes.js';
import { execute, type Executors } from './steps.js';

export interface ExecutorParts {
  volumes: Pick<VolumeManager, 'ensureOpen' | 'ensureMounted' | 'unmount' | 'close'>;
  guests: Pick<GuestManager, 'start' | 'shutdown' | 'save' | 'destroy'>;
  /** READY=1 to systemd (libvirtd starts then). */
  ready(step: ReadyStep): Promise<void>;
  log: Logger;
}

/** The executor map and `run`, which executes any step through it (logging it as a typed event). */
export function makeExecutors(p: ExecutorParts): { executors: Executors; run: (step: Step) => Promise<void> } {
  const run = (step: Step): Promise<void> => execute(executors, step, p.log);
  const executors: Executors = {
    open: (s) => p.volumes.ensureOpen(s.volume),
    mount: (s) => p.volumes.ensureMounted(s.volume),
    ready: (s) => p.ready(s),
    start: (s) => p.guests.start(s),
    shutdown: (s) => p.guests.shutdown(s, run),
    save: (s) => p.guests.save(s, run),
    destroy: (s) => p.guests.destroy(s),
    unmount: (s) => p.volumes.unmount(s.volume, s.timeoutMs),
    close: (s) => p.volumes.close(s.volume, s.timeoutMs),
  };
  return { executors, run };
}
