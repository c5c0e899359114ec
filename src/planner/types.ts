// The planner's view of the world: plain data observed by the daemon. The planner is pure: it never does I/O
// and never reads the clock (time comes in as `nowMs`).

export type VolumePhase =
  | 'waiting-device' // device path not present yet
  | 'locked' // not open, nothing in progress (e.g. tries exhausted, or no key source could work)
  | 'unlocking' // trying a key source
  | 'waiting-passphrase' // a password-agent request is pending
  | 'open'
  | 'closing'
  | 'failed'; // a fatal problem (not LUKS, UUID mismatch, mapping conflict): see `error`

export type GuestPhase = 'running' | 'shut-off' | 'starting' | 'stopping' | 'waiting' | 'paused' | 'missing' | 'unknown';

export type DaemonPhase = 'starting' | 'unlocking' | 'ready' | 'stopping';

export interface ObservedVolume {
  name: string;
  phase: VolumePhase;
  mounted: boolean;
  /** Where it is mounted, when the config no longer says (a reload removed the volume). */
  mountPoint?: string;
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
