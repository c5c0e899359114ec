// The one-line STATUS= text, also served as the Status property and printed by `cryptvm status`.
import type { DaemonPhase, GuestPhase, VolumePhase } from './types.js';

/** The fields of a volume's and a guest's status the line shows. */
export interface LineVolume {
  name: string;
  state: VolumePhase;
  removed: boolean;
  guests: readonly string[];
}
export interface LineGuest {
  state: GuestPhase;
  autostart: boolean;
}

/** Leads the line with the daemon phase ("ready: …") and, before READY=1, what READY still waits for. */
export interface StatusHead {
  phase: DaemonPhase;
  readyWaitsFor: readonly string[];
}

export function statusLine(volumes: readonly LineVolume[], guests: readonly LineGuest[], head?: StatusHead): string {
  // Volumes a reload removed from the configuration but that are still open are listed, not counted.
  const configured = volumes.filter((v) => !v.removed);
  const open = configured.filter((v) => v.state === 'open').length;
  const parts = [`${open}/${configured.length} volumes open`];
  const asking = volumes.filter((v) => v.state === 'waiting-passphrase');
  const gated = guests.filter((g) => g.autostart);
  if (gated.length > 0) {
    const running = gated.filter((g) => g.state === 'running').length;
    parts.push(`${running}/${gated.length} guests running`);
  }
  const failed = volumes.filter((v) => v.state === 'failed').map((v) => v.name);
  let text = (head ? `${head.phase}: ` : '') + parts.join(', ');
  if (head && head.readyWaitsFor.length > 0) text += `; READY waits for: ${head.readyWaitsFor.join(', ')}`;
  if (asking.length > 0) {
    const desc = asking.map((v) => (v.guests.length > 0 ? `${v.name} (guests: ${v.guests.join(', ')})` : v.name));
    text += `; waiting for passphrase: ${desc.join(', ')}`;
  }
  const devs = volumes.filter((v) => v.state === 'waiting-device').map((v) => v.name);
  if (devs.length > 0) text += `; waiting for device: ${devs.join(', ')}`;
  if (failed.length > 0) text += `; failed: ${failed.join(', ')}`;
  return text;
}
