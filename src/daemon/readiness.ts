// Boot's two milestones, driven by the pure rules of planner/ready.ts: READY=1 (libvirtd may start) once the
// volumes that count have settled or boot_wait passed, and the end of the console wait (cryptvm-ask.service)
// once no volume may still need a person or boot_wait passed.
import type { ReadyMode } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { ev } from '../log/events.js';
import { consoleWaitsFor, isUnattended, readyDecision, type ReadyDecision, type ReadyVolume } from '../planner/ready.js';
import type { ChangeEvent, DaemonPhase } from '../api/types.js';
import type { VolumeRecord } from './volume-state.js';
import { EXTEND_EVERY_MS } from './keepalive.js';
import type { Clock } from '../clock.js';

export function readyVolumes(records: Iterable<VolumeRecord>, askIdFor: (volume: string) => string | undefined): ReadyVolume[] {
  return [...records].filter((r) => !r.removed).map((r) => ({
    name: r.cfg.name,
    state: r.phase !== 'open' && r.phase !== 'failed' && askIdFor(r.cfg.name) ? 'waiting-passphrase' : r.phase,
    trying: r.task !== undefined,
    unattended: isUnattended(r.cfg.keys),
  }));
}

export interface ReadinessDeps {
  records(): Iterable<VolumeRecord>;
  askIdFor(volume: string): string | undefined;
  mode(): ReadyMode;
  phase(): DaemonPhase;
  volumeNames(): string[];
  bootWaitMs(): number;
  /** The daemon's monotonic clock: boot_wait holds whatever the wall clock does. */
  clock: Clock;
  log: Logger;
  /** Status changed (boot_wait passed): STATUS= and API listeners. */
  changed(): void;
}


export class BootReadiness {
  private bootWaitOver = false;
  /** Latched: once nothing needs the console after READY, later prompts (cryptvm unlock) do not hold logins. */
  private consoleDone = false;

  constructor(private readonly deps: ReadinessDeps) {}

  decision(): ReadyDecision {
    return readyDecision(readyVolumes(this.deps.records(), this.deps.askIdFor), this.deps.mode(), this.bootWaitOver);
  }

  /** Volumes the console prompt still waits for (cryptvm-ask.service holds logins back until it is empty). */
  consoleWait(): string[] {
    if (this.consoleDone) return [];
    if (this.deps.phase() === 'starting') return this.deps.volumeNames();
    const w = consoleWaitsFor(readyVolumes(this.deps.records(), this.deps.askIdFor), this.bootWaitOver);
    if (w.length === 0 && this.deps.phase() === 'ready') this.consoleDone = true;
    return w;
  }

  /**
   * Resolves when READY=1 may be sent. Woken by every change event and by each open attempt ending; calls
   * `extend` every 20 s meanwhile (EXTEND_TIMEOUT_USEC). Arms the boot_wait timer that also ends the console wait.
   */
  async untilReady(tasks: readonly Promise<void>[], on: { onChange(l: (e: ChangeEvent) => void): () => void; extend(): Promise<void>; signal: AbortSignal }): Promise<void> {
    const { clock } = this.deps;
    const now = (): number => clock.now();
    const sleep = (ms: number, signal?: AbortSignal): Promise<void> => clock.sleep(ms, signal);
    const bootWaitMs = this.deps.bootWaitMs();
    const deadline = now() + bootWaitMs;
    // The boot_wait timer outlives READY: it also ends the console wait. A stop cancels it.
    void sleep(bootWaitMs, on.signal).then(() => this.bootWaitPassed(), () => undefined);
    let wake: () => void = () => {};
    for (const t of tasks) void t.then(() => wake(), () => wake());
    const off = on.onChange(() => wake());
    try {
      while (!this.decision().ready && now() < deadline) {
        const woken = new AbortController();
        wake = () => woken.abort();
        await sleep(Math.min(EXTEND_EVERY_MS, Math.max(0, deadline - now())), woken.signal).catch(() => undefined);
        // Tell systemd we are alive while a human is being asked (EXTEND_TIMEOUT_USEC=).
        if (!this.decision().ready && now() < deadline) await on.extend();
      }
    } finally {
      off();
    }
    if (now() >= deadline) this.bootWaitPassed();
  }

  /** boot_wait is over: READY=1 if not yet, and the console prompt gives way to logins. Logged once. */
  private bootWaitPassed(): void {
    if (this.bootWaitOver) return;
    const waiting = this.consoleWait();
    const pending = this.decision().pending;
    this.bootWaitOver = true;
    const s = this.deps.bootWaitMs() / 1000;
    if (this.deps.phase() !== 'ready') {
      this.deps.log.warn(ev('boot-wait-passed', { boot_wait_s: s, waiting: pending }), 'boot_wait passed: letting libvirtd start; locked volumes keep waiting for a passphrase');
    } else if (waiting.length > 0) {
      this.deps.log.warn(ev('boot-wait-passed', { boot_wait_s: s, waiting }), `boot_wait passed: logins no longer wait; ${waiting.join(', ')} keep waiting for a passphrase (cryptvm unlock)`);
    }
    this.deps.changed();
  }
}
