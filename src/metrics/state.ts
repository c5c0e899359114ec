// What the metrics remember across status snapshots: when each volume began waiting to open and how long its
// unlock took, counters, shutdown outcomes and the time to READY. Fed by status snapshots (observe) and three
// hooks the status cannot show (a wrong typed passphrase, a guest's shutdown outcome, READY=1).
import type { DaemonStatus } from '../api/types.js';
import { sourceClass, transitions, type FleetEvent } from './transitions.js';

export type ShutdownOutcome = 'graceful' | 'destroyed' | 'saved';

export interface VolumeTiming {
  /** Monotonic ms when it was last seen not open (the unlock's start). */
  since: number | undefined;
  unlockSeconds: number | undefined;
  source: string | undefined;
}

export class MetricsState {
  readonly volumes = new Map<string, VolumeTiming>();
  readonly wrongPassphrases = new Map<string, number>();
  readonly keySourceFailures = new Map<string, number>();
  /** Key: guest + "\0" + outcome. */
  readonly shutdowns = new Map<string, number>();
  readySeconds: number | undefined;
  up = true;
  last: DaemonStatus | undefined;

  constructor(
    /** Monotonic clock in ms. */
    private readonly now: () => number,
    readonly startMono: number,
    readonly startWallSeconds: number,
  ) {}

  /** Takes a new snapshot; returns what changed since the last one. */
  observe(status: DaemonStatus): FleetEvent[] {
    const events = transitions(this.last, status);
    const t = this.now();
    for (const v of status.volumes) {
      let timing = this.volumes.get(v.name);
      if (!timing) this.volumes.set(v.name, (timing = { since: undefined, unlockSeconds: undefined, source: undefined }));
      if (v.state !== 'open' && timing.since === undefined) timing.since = this.last === undefined ? this.startMono : t;
      if (v.state === 'open' && timing.source === undefined) timing.source = sourceClass(v.keySource);
    }
    for (const e of events) {
      if (e.kind === 'volume-open') {
        const timing = this.volumes.get(e.volume)!;
        timing.unlockSeconds = timing.since === undefined ? 0 : (t - timing.since) / 1000;
        timing.source = sourceClass(e.source);
        timing.since = undefined;
        this.countFailures(e.skipped);
      }
      if (e.kind === 'volume-locked') this.countFailures(e.reasons);
    }
    for (const name of [...this.volumes.keys()]) if (!status.volumes.some((v) => v.name === name)) this.volumes.delete(name);
    this.last = status;
    return events;
  }

  wrongPassphrase(volume: string): void {
    this.wrongPassphrases.set(volume, (this.wrongPassphrases.get(volume) ?? 0) + 1);
  }

  guestStopped(guest: string, outcome: ShutdownOutcome): void {
    const k = `${guest}\0${outcome}`;
    this.shutdowns.set(k, (this.shutdowns.get(k) ?? 0) + 1);
  }

  ready(): void {
    this.readySeconds ??= (this.now() - this.startMono) / 1000;
  }

  private countFailures(reasons: string[]): void {
    for (const r of reasons) {
      if (r === 'unlock was cancelled') continue;
      const cls = sourceClass(r);
      this.keySourceFailures.set(cls, (this.keySourceFailures.get(cls) ?? 0) + 1);
    }
  }
}
