// Status snapshots for the metrics and notify tests.
import type { DaemonStatus, GuestStatus, VolumeStatus } from '../../../src/api/types.js';

export function vol(name: string, state: VolumeStatus['state'], over: Partial<VolumeStatus> = {}): VolumeStatus {
  return { name, device: `/dev/${name}`, resolvedDevice: undefined, state, keySource: undefined, skipped: [], mount: undefined, mounted: false, holders: [], guests: [], askId: undefined, error: undefined, removed: false, ...over };
}

export function guest(name: string, state: GuestStatus['state'], over: Partial<GuestStatus> = {}): GuestStatus {
  return { name, state, waitingFor: [], volumes: [], autostart: true, libvirtAutostart: false, error: undefined, ...over };
}

export function status(volumes: VolumeStatus[], guests: GuestStatus[] = [], phase: DaemonStatus['phase'] = 'unlocking'): DaemonStatus {
  return { phase, status: '', configPath: '/etc/cryptvm/cryptvm.toml', volumes, guests, consoleWait: [] };
}
