// FleetWatch: what a fleet sees of this host. Takes a status snapshot on every daemon change event, keeps the
// metrics file current (src/metrics) and tells a person through [notify] (src/notify). It only ever reads the
// daemon's status; nothing here is awaited on an unlock or shutdown path (file writes and the notify command
// run in the background, throttled or queued).
import { systemClock, type Clock } from '../clock.js';
import type { Config } from '../config/types.js';
import type { DaemonStatus } from '../api/types.js';
import type { Runner } from '../adapters/exec.js';
import type { Logger } from '../log/logger.js';
import { AdminNotifier } from '../notify/admin.js';
import { renderMetrics } from './render.js';
import { MetricsState, type ShutdownOutcome } from './state.js';
import { TextfileWriter } from './textfile.js';
import type { FleetEvent } from './transitions.js';

const STOP_WAIT_MS = 5_000;

export interface FleetWatchDeps {
  status(): DaemonStatus;
  config(): Config;
  runner: Runner;
  log: Logger;
  version: string;
  /** Monotonic time (uptime, durations), the write throttle and the stop wait (default: the system's). */
  clock?: Clock;
  /** Wall clock, seconds since the epoch. */
  wallSeconds?: () => number;
  host?: string;
}

export class FleetWatch {
  readonly state: MetricsState;
  readonly writer: TextfileWriter | undefined;
  readonly admin: AdminNotifier;

  constructor(private readonly deps: FleetWatchDeps) {
    const clock = deps.clock ?? systemClock;
    this.state = new MetricsState(() => clock.now(), clock.now(), deps.wallSeconds?.() ?? Date.now() / 1000);
    const path = deps.config().metrics?.textfile;
    let lastError = '';
    this.writer = path
      ? new TextfileWriter(path, () => renderMetrics(this.state, deps.version), {
          clock,
          // Once per distinct error, not on every change (a missing directory would flood the journal).
          onError: (e) => {
            const text = e instanceof Error ? e.message : String(e);
            if (text !== lastError) deps.log.warn({ err: e, path }, 'cannot write the metrics file');
            lastError = text;
          },
        })
      : undefined;
    this.admin = new AdminNotifier({ runner: deps.runner, log: deps.log, settings: () => deps.config().notify, host: deps.host });
  }

  /** A daemon change event. */
  changed(): void {
    for (const e of this.state.observe(this.deps.status())) this.tell(e);
    this.writer?.changed();
  }

  /** READY=1 was sent: boot no longer waits; volumes still locked now stay so until someone acts. */
  ready(): void {
    const first = this.state.readySeconds === undefined;
    this.state.ready();
    this.changed();
    if (!first) return; // READY=1 again after a reload
    const locked = (this.state.last?.volumes ?? []).filter((v) => !v.removed && v.state !== 'open');
    if (locked.length > 0) {
      const names = locked.map((v) => v.name);
      this.admin.tell('boot-wait-passed', { volumes: names, message: `boot went on with ${names.length} volume(s) still locked: ${locked.map((v) => `${v.name} (${v.state})`).join(', ')}` });
    }
  }

  wrongPassphrase(volume: string): void {
    this.state.wrongPassphrase(volume);
    this.writer?.changed();
  }

  guestStopped(guest: string, outcome: ShutdownOutcome): void {
    this.state.guestStopped(guest, outcome);
    this.writer?.changed();
    if (outcome === 'destroyed') this.admin.tell('guest-destroyed', { guests: [guest], message: `guest ${guest} did not shut down in time and was destroyed (forced off)` });
  }

  /** The daemon stopped: the file says so (cryptvm_up 0) with the last values; waits for queued commands. */
  async stop(): Promise<void> {
    this.state.up = false;
    this.state.observe(this.deps.status());
    await this.writer?.close();
    // A last message (a guest destroyed on the way down) may still be running: wait a little, not its timeout.
    const waited = new AbortController();
    try {
      await Promise.race([this.admin.idle(), (this.deps.clock ?? systemClock).sleep(STOP_WAIT_MS, waited.signal)]);
    } finally {
      waited.abort();
    }
  }

  private tell(e: FleetEvent): void {
    switch (e.kind) {
      case 'volume-waiting': {
        const users = e.guests.length > 0 ? ` (guests: ${e.guests.join(', ')})` : '';
        this.admin.tell('volume-waiting', { volumes: [e.volume], guests: e.guests, message: `volume ${e.volume}${users} is waiting for a passphrase: run cryptvm unlock ${e.volume}` });
        break;
      }
      case 'all-open':
        this.admin.tell('all-open', { volumes: e.volumes, message: `all ${e.volumes.length} volume(s) are open` });
        break;
      case 'guest-start-failed':
        this.admin.tell('guest-start-failed', { guests: [e.guest], message: `guest ${e.guest} did not start: ${e.reason}`.slice(0, 400) });
        break;
      default:
        break;
    }
  }
}
