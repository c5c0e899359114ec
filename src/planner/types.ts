// The planner's view of the world: plain data observed by the daemon. The planner is pure: it never does I/O
// and never reads the clock (time comes in as `nowMs`).
import type { VolumePhase } from '../daemon/control.js';

export interface ObservedVolume {
  name: string;
  phase: VolumePhase;
  mounted: boolean;
}

/** What libvirt says about a domain, as far as the planner cares. */
export type DomainRun = 'running' | 'paused' | 'shut-off' | 'missing' | 'unknown';

export interface ObservedGuest {
  name: string;
  run: DomainRun;
  /** Volumes it needs: from its domain XML plus those listed in the config. */
  volumes: string[];
  /** Waiting to be started by cryptvm (set by `guests start`, cleared when started or stopped on request). */
  wanted: boolean;
  /** When cryptvm last started it (ms on the daemon's monotonic clock), for `delay`. */
  startedAtMs: number | undefined;
}
