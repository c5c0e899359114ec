// What the daemon offers its API (D-Bus service) — the seam between src/dbus and the daemon core.
// Everything here is plain data: no secrets ever cross this interface.

export type VolumePhase =
  | 'waiting-device' // device path not present yet
  | 'locked' // not open, nothing in progress (e.g. tries exhausted, or no key source could work)
  | 'unlocking' // trying a key source
  | 'waiting-passphrase' // a password-agent request is pending
  | 'open'
  | 'closing'
  | 'failed'; // a fatal problem (not LUKS, UUID mismatch, mapping conflict): see `error`

export interface VolumeStatus {
  name: string;
  device: string;
  /** The block device the spec resolved to, when present. */
  resolvedDevice: string | undefined;
  state: VolumePhase;
  /** Which key source opened it ('keyfile:/etc/…', 'credential:x', 'prompt', 'adopted'). */
  keySource: string | undefined;
  /** Why the sources before keySource did not open it (e.g. 'clevis: tang server … unreachable for 60s'). */
  skipped: string[];
  /** Mount point when the volume has a filesystem mounted by cryptvm. */
  mount: string | undefined;
  mounted: boolean;
  /** Processes or devices holding the mapping open (e.g. 'qemu-system-x86 (pid 1234)'). */
  holders: string[];
  /** Guests that use this volume. */
  guests: string[];
  /** Pending password-agent request id (Id= in the ask file), e.g. 'cryptsetup:/dev/volgrp4/lvimap_hd0'. */
  askId: string | undefined;
  error: string | undefined;
  /**
   * No longer in the configuration (a reload removed it) but still open: a reload never closes a mapping.
   * `cryptvm lock` closes it (then it is gone from the status), and so does an explicit stop.
   */
  removed: boolean;
}

export type GuestPhase = 'running' | 'shut-off' | 'starting' | 'stopping' | 'waiting' | 'paused' | 'missing' | 'unknown';

export interface GuestStatus {
  name: string;
  state: GuestPhase;
  /** Volumes not open yet that this guest needs. */
  waitingFor: string[];
  volumes: string[];
  /** cryptvm starts it (config autostart). */
  autostart: boolean;
  /** libvirt's own autostart flag (a conflict when autostart is also true); undefined before libvirt was asked. */
  libvirtAutostart: boolean | undefined;
  error: string | undefined;
}

export type DaemonPhase = 'starting' | 'unlocking' | 'ready' | 'stopping';

export interface DaemonStatus {
  phase: DaemonPhase;
  /** The same text as the unit's STATUS=. */
  status: string;
  configPath: string;
  volumes: VolumeStatus[];
  guests: GuestStatus[];
}

export interface PlanStep {
  /** e.g. 'open', 'mount', 'start', 'shutdown', 'unmount', 'close' */
  action: string;
  target: string;
  detail: string;
  /** Shutdown steps: steps of one layer run in parallel; layer n+1 begins when layer n is done. */
  layer?: number;
}

export interface Plan {
  boot: PlanStep[];
  shutdown: PlanStep[];
  /** Things that will bite (libvirt autostart on a gated guest, unknown domain, …). */
  conflicts: string[];
}

export interface UnlockTicket {
  volume: string;
  /** Id= of the password-agent request the caller can answer. */
  askId: string;
}

export type ChangeEvent =
  | { kind: 'volume'; volume: VolumeStatus }
  | { kind: 'guest'; guest: GuestStatus }
  | { kind: 'status'; status: string };

export interface DaemonControl {
  status(): DaemonStatus;
  plan(): Promise<Plan>;
  /**
   * Make sure a password-agent request is pending for each named volume (all locked volumes when empty),
   * re-arming volumes whose tries were used up. Resolves with the request ids to answer.
   */
  unlock(volumes: string[]): Promise<UnlockTicket[]>;
  /** Stop the volume's guests (only when stopGuests, else refuse if any runs), unmount, close. */
  lock(volume: string, stopGuests: boolean): Promise<void>;
  /** Start gated guests (all autostart guests when empty) now or as soon as their volumes open. */
  startGuests(guests: string[]): Promise<void>;
  /** Stop gated guests (all when empty); with wait, resolve when they are off. */
  stopGuests(guests: string[], wait: boolean): Promise<void>;
  /** Re-read the config; rejects with the problems when the new file is bad (the old one stays). */
  reload(): Promise<void>;
  onChange(listener: (event: ChangeEvent) => void): () => void;
}
