// Guests gated through libvirt's own autostart flag: a persistent domain marked `virsh autostart` whose disks
// live on cryptvm volumes is started and stopped by cryptvm like a configured guest, without a [[guest]]
// table (a table, when there is one, wins: it adds after/delay/timeouts, or autostart = false). Pure.
import type { Config, GuestConfig } from '../config/types.js';
import { guestVolumes, type DomainDisk } from './guests.js';

export interface AutostartDomain {
  name: string;
  disks: readonly DomainDisk[];
}

/** The gated guests the autostart-marked domains add to the configured ones (sorted by name). */
export function autostartGuests(config: Config, domains: readonly AutostartDomain[]): GuestConfig[] {
  const configured = new Set(config.guests.map((g) => g.name));
  const out: GuestConfig[] = [];
  for (const d of [...domains].sort((a, b) => a.name.localeCompare(b.name))) {
    if (configured.has(d.name)) continue;
    const cfg: GuestConfig = {
      name: d.name,
      autostart: true,
      after: [],
      delayMs: 0,
      onTimeout: 'destroy',
      shutdownTimeoutMs: config.daemon.shutdownTimeoutMs,
      volumes: [],
      line: 0,
      fromLibvirtAutostart: true,
    };
    if (guestVolumes(cfg, d.disks, config.volumes).length > 0) out.push(cfg);
  }
  return out;
}
