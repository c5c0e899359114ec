// The daemon's record of one gated guest. Mutated only by GuestManager.
import type { GuestConfig } from '../config/types.js';
import type { GuestPhase, GuestStatus } from '../api/types.js';
import type { DomainRun, ObservedGuest } from '../planner/types.js';

export interface GuestRecord {
  cfg: GuestConfig;
  run: DomainRun;
  /** An operation in progress, shown instead of `run`. */
  busy: 'starting' | 'stopping' | undefined;
  volumes: string[];
  wanted: boolean;
  startedAtMs: number | undefined;
  libvirtAutostart: boolean | undefined;
  error: string | undefined;
}

export function newGuest(cfg: GuestConfig): GuestRecord {
  return { cfg, run: 'unknown', busy: undefined, volumes: [...cfg.volumes], wanted: false, startedAtMs: undefined, libvirtAutostart: undefined, error: undefined };
}

export function observed(g: GuestRecord): ObservedGuest {
  return { name: g.cfg.name, run: g.run, volumes: g.volumes, wanted: g.wanted, startedAtMs: g.startedAtMs };
}

export function guestStatus(g: GuestRecord, waitingFor: string[]): GuestStatus {
  let state: GuestPhase;
  if (g.busy) state = g.busy;
  else if (g.run === 'shut-off' && g.wanted && waitingFor.length > 0) state = 'waiting';
  else state = g.run;
  return {
    name: g.cfg.name,
    state,
    waitingFor,
    volumes: g.volumes,
    autostart: g.cfg.autostart,
    libvirtAutostart: g.libvirtAutostart,
    error: g.error,
    ...(g.cfg.fromLibvirtAutostart ? { fromLibvirtAutostart: true } : {}),
  };
}
