// The conflicts `cryptvm plan` and `cryptvm doctor` report: settings that make gating not work. Pure.
import type { Config } from '../config/types.js';
import type { GuestPhase } from './types.js';

/** A guest as the daemon's status shows it (the fields conflicts need). */
export interface ConflictGuest {
  name: string;
  state: GuestPhase;
  volumes: readonly string[];
  libvirtAutostart: boolean | undefined;
}

export function conflicts(config: Config, guests: readonly ConflictGuest[]): string[] {
  const out: string[] = [];
  for (const g of guests) {
    const cfg = config.guests.find((x) => x.name === g.name);
    if (g.state === 'missing') out.push(`guest ${g.name}: no such libvirt domain — define it or remove it from the config`);
    // libvirt's autostart on a guest cryptvm starts is fine (a start libvirt did counts as done); on one the
    // table keeps cryptvm from starting, libvirtd starts it whether its volumes are open or not.
    if (cfg && !cfg.autostart && g.libvirtAutostart) out.push(`guest ${g.name}: autostart = false in the config, but libvirt's autostart flag is set: libvirtd starts it at its own start without waiting for its volumes — run: virsh autostart --disable ${g.name}, or drop autostart = false`);
    if (g.volumes.length === 0) out.push(`guest ${g.name}: uses no cryptvm volume, so nothing gates it — list its volumes or check its disks`);
  }
  return out;
}
