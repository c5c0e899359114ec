// The daemon's status (DaemonStatus without the STATUS= line) from the managers' records.
import type { DaemonPhase, DaemonStatus } from '../api/types.js';
import type { GuestManager } from './guests.js';
import type { VolumeManager } from './volumes.js';
import { guestStatus } from './guest-state.js';
import { toStatus } from './volume-state.js';

export interface StatusSources {
  volumes: VolumeManager;
  guests: GuestManager;
  askIdFor(volume: string): string | undefined;
  holders(volume: string): string[];
}

export interface StatusNow {
  phase: DaemonPhase;
  configPath: string;
  /** Why libvirt is not used yet (shown as every guest's error), or undefined. */
  libvirtWaiting: string | undefined;
  consoleWait: string[];
}

export function daemonStatus(d: StatusSources, now: StatusNow): Omit<DaemonStatus, 'status'> {
  const vols = [...d.volumes.records.values()];
  const open = new Set(vols.filter((v) => v.phase === 'open').map((v) => v.cfg.name));
  return {
    phase: now.phase,
    configPath: now.configPath,
    volumes: vols.map((r) => {
      const askId = d.askIdFor(r.cfg.name);
      const s = toStatus(r, { guests: d.guests.usersOf(r.cfg.name), holders: r.phase === 'open' ? d.holders(r.cfg.name) : [], askId });
      if (askId && (r.phase === 'unlocking' || r.phase === 'locked')) s.state = 'waiting-passphrase';
      return s;
    }),
    guests: [...d.guests.records.values()].map((g) => {
      const s = guestStatus(g, g.volumes.filter((v) => !open.has(v)));
      return now.libvirtWaiting && !s.error ? { ...s, error: now.libvirtWaiting } : s;
    }),
    consoleWait: now.consoleWait,
  };
}
