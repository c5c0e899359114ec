// Reaching libvirt after READY=1. libvirtd may be down, still starting, or restarted under us: the first
// attempt is made at once (callers learn whether it answered), then it is retried with backoff in the
// background until it answers — then the event watcher runs and waiting guests start, with no admin action.
import type { Logger } from '../log/logger.js';
import { ev } from '../log/events.js';
import { errorMessage } from '../errors.js';
import type { GuestManager } from './guests.js';
import type { Clock } from '../clock.js';

export interface LibvirtLinkDeps {
  guests: Pick<GuestManager, 'isLive' | 'refresh' | 'watch' | 'replan'>;
  log: Logger;
  /** The retry backoff. */
  clock: Pick<Clock, 'sleep'>;
  /** Aborted when the daemon stops: no more retries, the watcher ends. */
  signal: AbortSignal;
  /** 'waiting for libvirt: …' while it does not answer, undefined once it does. */
  onWaiting(reason: string | undefined): void;
  firstDelayMs?: number;
  maxDelayMs?: number;
}

export class LibvirtLink {
  private first: Promise<boolean> | undefined;
  private waiting: string | undefined;

  constructor(private readonly deps: LibvirtLinkDeps) {}

  /** True once libvirt answered; false when the first attempt failed (retries go on in the background). */
  connect(): Promise<boolean> {
    if (this.deps.guests.isLive) return Promise.resolve(true);
    if (!this.first) {
      this.first = new Promise<boolean>((resolve) => void this.run(resolve));
    }
    return this.first;
  }

  /** Why guests cannot be seen right now (shown in status), or undefined. */
  get waitingReason(): string | undefined {
    return this.waiting;
  }

  private async run(firstTry: (ok: boolean) => void): Promise<void> {
    const { guests, log, signal } = this.deps;
    const max = this.deps.maxDelayMs ?? 30_000;
    for (let delay = this.deps.firstDelayMs ?? 1_000; !signal.aborted; delay = Math.min(delay * 2, max)) {
      try {
        await guests.refresh();
      } catch (e) {
        const reason = `waiting for libvirt: ${errorMessage(e)}`;
        if (this.waiting === undefined) log.warn(ev('libvirt-unreachable', { err: e }), `libvirt does not answer; retrying with backoff (guests start once it does)`);
        else log.debug({ err: e, retry_s: delay / 1000 }, 'libvirt still does not answer');
        this.setWaiting(reason);
        firstTry(false);
        await this.deps.clock.sleep(delay, signal).catch(() => undefined);
        continue;
      }
      if (this.waiting !== undefined) log.info(ev('libvirt-answers'), 'libvirt answers again');
      this.setWaiting(undefined);
      firstTry(true);
      // The watcher restarts `virsh event` with its own backoff whenever it exits.
      void guests.watch(signal);
      // Guests waiting from before (a restart, `guests start` while libvirt was down) may start now.
      void guests.replan();
      return;
    }
    this.first = undefined;
    firstTry(false);
  }

  private setWaiting(reason: string | undefined): void {
    if (reason === this.waiting) return;
    this.waiting = reason;
    this.deps.onWaiting(reason);
  }
}
