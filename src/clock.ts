// The daemon's one clock for deadlines and timeouts: monotonic, so a wall-clock step at boot (an RTC set
// wrong, NTP correcting it by hours) neither cuts boot_wait short nor stretches it. Wall-clock time is only
// for what people read (log timestamps). Tests inject a fake Clock they advance by hand.
import { sleep as cancellableSleep } from './time.js';

export interface Clock {
  /** Milliseconds on a monotonic clock (meaningful only as differences). */
  now(): number;
  /** Resolves after ms on this clock; rejects when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** performance.now(): CLOCK_MONOTONIC, unaffected by settimeofday/NTP steps. */
export const monotonicNow = (): number => performance.now();

export const systemClock: Clock = {
  now: monotonicNow,
  async sleep(ms, signal) {
    if (!(await cancellableSleep(ms, signal))) throw new DOMException('The operation was aborted', 'AbortError');
  },
};
