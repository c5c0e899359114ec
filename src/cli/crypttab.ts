// Minimal /etc/crypttab reader for `cryptvm doctor`: volumes cryptvm manages must not also be opened by
// systemd-cryptsetup at boot (a passphrase wait there blocks sysinit.target, and two openers race).
import { readFileSync, realpathSync } from 'node:fs';
import type { VolumeConfig } from '../config/types.js';

export interface CrypttabEntry {
  name: string;
  device: string;
  options: string[];
  line: number;
}

export function parseCrypttab(text: string): CrypttabEntry[] {
  const out: CrypttabEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const [name, device, , options] = line.split(/\s+/);
    if (name && device) out.push({ name, device, options: options ? options.split(',') : [], line: i + 1 });
  });
  return out;
}

const real = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
};

/** Same device: equal specs, the config's uuid vs a crypttab UUID=, or two paths to the same node. */
function sameDevice(v: VolumeConfig, device: string): boolean {
  if (v.device === device) return true;
  const uuid = /^UUID=(.+)$/i.exec(device)?.[1];
  if (uuid && v.uuid && uuid.toLowerCase() === v.uuid.toLowerCase()) return true;
  return device.startsWith('/') && v.device.startsWith('/') && real(device) === real(v.device);
}

export interface Overlap {
  volume: string;
  entry: CrypttabEntry;
}

export function crypttabOverlaps(volumes: VolumeConfig[], path = '/etc/crypttab'): Overlap[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return []; // no crypttab: nothing can overlap
  }
  const entries = parseCrypttab(text);
  return volumes.flatMap((v) => entries.filter((e) => e.name === v.name || sameDevice(v, e.device)).map((entry) => ({ volume: v.name, entry })));
}
