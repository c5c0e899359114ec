// The daemon's record of one volume. Mutated only by VolumeManager.
import type { VolumeConfig } from '../config/types.js';
import type { VolumePhase, VolumeStatus } from '../api/types.js';
import type { UnlockCost } from '../planner/unlock.js';

export interface VolumeRecord {
  cfg: VolumeConfig;
  phase: VolumePhase;
  device: string | undefined;
  keySource: string | undefined;
  /** Why sources before keySource did not open it. */
  skipped: string[];
  mounted: boolean;
  error: string | undefined;
  cost: UnlockCost | undefined;
  /** The running prepare/unlock task, so a second request joins it instead of racing it. */
  task: Promise<void> | undefined;
  abort: AbortController;
  /** Tail of the volume's operation queue: opens and closes of one volume run one after the other. */
  queue: Promise<void>;
  /** Operations queued or running. */
  pending: number;
  /** A reload removed it from the configuration while it was open: kept (never closed by a reload) until locked. */
  removed: boolean;
}

export function newRecord(cfg: VolumeConfig): VolumeRecord {
  return {
    cfg,
    phase: 'locked',
    device: undefined,
    keySource: undefined,
    skipped: [],
    mounted: false,
    error: undefined,
    cost: undefined,
    task: undefined,
    abort: new AbortController(),
    queue: Promise.resolve(),
    pending: 0,
    removed: false,
  };
}

export function toStatus(r: VolumeRecord, extra: { guests: string[]; holders: string[]; askId: string | undefined }): VolumeStatus {
  return {
    name: r.cfg.name,
    device: r.cfg.device,
    resolvedDevice: r.device,
    state: r.phase,
    keySource: r.keySource,
    skipped: r.skipped,
    mount: r.cfg.mount?.where,
    mounted: r.mounted,
    holders: extra.holders,
    guests: extra.guests,
    askId: extra.askId,
    error: r.error,
    removed: r.removed,
  };
}
