// The daemon's API: what src/dbus serves and src/cli shows. Plain data only: no secrets ever cross it.
// The state names are the planner's (src/planner/types.ts); the API only carries them.
import type { DaemonPhase, GuestPhase, VolumePhase } from '../planner/types.js';
import type { StepPlan } from '../planner/plan.js';

export type { DaemonPhase, GuestPhase, VolumePhase };
export type { Step, StepKind } from '../planner/steps.js';

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

export interface GuestStatus {
  name: string;
  state: GuestPhase;
  /** Volumes not open yet that this guest needs. */
  waitingFor: string[];
  volumes: string[];
  /** cryptvm starts it (config autostart). */
  autostart: boolean;
  /** libvirt's own autostart flag; undefined before libvirt was asked. */
  libvirtAutostart: boolean | undefined;
  /** Gated without a [[guest]] table: libvirt's autostart flag and a disk on a cryptvm volume. */
  fromLibvirtAutostart?: boolean;
  error: string | undefined;
}

export interface DaemonStatus {
  phase: DaemonPhase;
  /** The same text as the unit's STATUS=. */
  status: string;
  configPath: string;
  volumes: VolumeStatus[];
  guests: GuestStatus[];
  /**
   * Volumes the console password prompt still waits for during boot (until boot_wait): cryptvm-ask.service
   * (`cryptvm wait --prompts`) holds logins back while this is not empty. Empty once boot is past that.
   */
  consoleWait: string[];
}

/**
 * What boot and shutdown would do: the planner's steps (src/planner/steps.ts), the very values the daemon
 * executes, with the conflicts.
 */
export type Plan = StepPlan;

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
