// When boot says READY=1 (libvirtd may start) and when the console stops holding logins back for a
// passphrase. Pure: the daemon feeds it the volumes' states.
import type { KeySourceSpec, ReadyMode } from '../config/types.js';
import type { VolumePhase } from './types.js';

export interface ReadyVolume {
  name: string;
  /** The status state: 'waiting-passphrase' while a password request for it is pending. */
  state: VolumePhase;
  /** An open/unlock attempt is still running (false: it has given up, or has not begun). */
  trying: boolean;
  /** It has a key source that needs no person (key file, credential, token, clevis, https:). */
  unattended: boolean;
}

/** A key source that can open a volume with nobody at the console. */
export function isUnattended(keys: readonly KeySourceSpec[]): boolean {
  return keys.some((k) => k.kind !== 'prompt');
}

/**
 * Nothing more will happen to the volume without a person: open, failed, given up, or (for `unattended`)
 * waiting at a password prompt after its unattended sources did not open it.
 */
function settled(v: ReadyVolume, mode: ReadyMode): boolean {
  if (v.state === 'open' || v.state === 'failed') return true;
  if (v.state === 'waiting-passphrase') return mode === 'unattended';
  return v.state === 'locked' && !v.trying;
}

export interface ReadyDecision {
  ready: boolean;
  /** Volumes READY=1 still waits for (empty once ready). */
  pending: string[];
}

/**
 * READY=1 when boot_wait has passed or every volume that counts has settled. "unattended": only volumes with
 * a key source that needs no person count, and a prompt counts as settled (a missing passphrase holds back
 * only the guests on that volume); "all": every volume, and a pending prompt holds READY back.
 */
export function readyDecision(volumes: readonly ReadyVolume[], mode: ReadyMode, bootWaitOver: boolean): ReadyDecision {
  const counted = mode === 'all' ? volumes : volumes.filter((v) => v.unattended);
  const pending = counted.filter((v) => !settled(v, mode)).map((v) => v.name);
  return bootWaitOver ? { ready: true, pending: [] } : { ready: pending.length === 0, pending };
}

/**
 * The console keeps the password prompt (logins wait) while a volume may still need a person, bounded by
 * boot_wait: the old READY rule, now for cryptvm-ask.service. Returns the volumes it waits for.
 */
export function consoleWaitsFor(volumes: readonly ReadyVolume[], bootWaitOver: boolean): string[] {
  if (bootWaitOver) return [];
  return volumes.filter((v) => !settled(v, 'all')).map((v) => v.name);
}
