// The one journal line per guest that says how boot treats it when `cryptvm guests start` (the boot's
// cryptvm-guests.service) asks for every autostart guest: already running, or waiting for which volumes.
import type { Logger } from '../log/logger.js';
import { ev } from '../log/events.js';
import type { ObservedVolume } from '../planner/types.js';
import type { GuestRecord } from './guest-state.js';

const BY_LIBVIRT = "libvirt's autostart started it";

export function logAlreadyRunning(g: GuestRecord, log: Logger): void {
  log.info(ev('guest-already-running', { volumes: g.volumes, by: g.libvirtAutostart ? 'libvirt autostart' : undefined }), g.libvirtAutostart ? `guest already running: ${BY_LIBVIRT}` : 'guest already running');
}

export function explainAutostart(g: GuestRecord, volumes: readonly ObservedVolume[], log: Logger): void {
  const glog = log.child({ guest: g.cfg.name });
  if (g.run === 'running' || g.run === 'paused') return logAlreadyRunning(g, glog);
  const open = new Set(volumes.filter((v) => v.phase === 'open').map((v) => v.name));
  const missing = g.volumes.filter((v) => !open.has(v));
  if (missing.length === 0) return; // starts now: "guest started" follows
  const them = missing.length === 1 ? 'it opens' : 'they open';
  // libvirtd tried it first and failed on the missing disk (its own journal has that error); not ours to repeat.
  const libvirt = g.libvirtAutostart ? "; libvirt's own autostart could not start it without that disk (see journalctl -u libvirtd)" : '';
  glog.info(ev('guest-waiting', { waiting_for: missing }), `guest waits for ${missing.join(', ')}: cryptvm starts it when ${them}${libvirt}`);
}
