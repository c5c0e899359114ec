// The one clock for deadlines, timeouts and waits: monotonic, so a wall-clock step at boot (an RTC set wrong,
// NTP correcting it by hours) neither cuts boot_wait short nor stretches it. Wall-clock time is only for what
// people read (log timestamps, certificate dates). Every wait in cryptvm ends when the daemon stops: a sleep
// takes an AbortSignal and rejects with an AbortError when it fires. Tests inject a fake Clock they advance
// by hand (test/helpers/fake-clock.ts).

export interface Clock {
  /** Milliseconds on a monotonic clock (meaningful only as differences). */
  now(): number;
  /** Resolves after ms on this clock; rejects with an AbortError when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** performance.now(): CLOCK_MONOTONIC, unaffected by settimeofday/NTP steps. */
export const monotonicNow = (): number => performance.now();

export function abortError(): DOMException {
  return new DOMException('The operation was aborted', 'AbortError');
}

export function isAbortError(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'AbortError';
}

export const systemClock: Clock = {
  now: monotonicNow,
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError());
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(abortError());
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/**
 * For a wait that just stops when the signal aborts: true after ms, false at once on abort (no timer left
 * behind). Any other rejection of the clock's sleep is passed on.
 */
export function pause(clock: Clock, ms: number, signal?: AbortSignal): Promise<boolean> {
  return clock.sleep(ms, signal).then(
    () => true,
    (e: unknown) => {
      if (isAbortError(e)) return false;
      throw e;
    },
  );
}
