// The volume records as the pure readiness rules (planner/ready.ts) see them.
import { isUnattended, type ReadyVolume } from '../planner/ready.js';
import type { VolumeRecord } from './volume-state.js';

export function readyVolumes(records: Iterable<VolumeRecord>, askIdFor: (volume: string) => string | undefined): ReadyVolume[] {
  return [...records].filter((r) => !r.removed).map((r) => ({
    name: r.cfg.name,
    state: r.phase !== 'open' && r.phase !== 'failed' && askIdFor(r.cfg.name) ? 'waiting-passphrase' : r.phase,
    trying: r.task !== undefined,
    unattended: isUnattended(r.cfg.keys),
  }));
}
