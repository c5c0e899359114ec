// Waiting for a condition on the daemon's state without polling: checked at once and after every change
// event, given up after a timeout on the daemon's clock or when the signal aborts (the daemon stopping).
import type { Clock } from '../clock.js';

export function until(cond: () => boolean, timeoutMs: number, onChange: (listener: () => void) => () => void, signal: AbortSignal, clock: Pick<Clock, 'sleep'>): Promise<void> {
  if (cond() || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    // Ends the timeout's sleep too, so no timer is left behind.
    const over = new AbortController();
    const done = (): void => {
      if (over.signal.aborted) return;
      over.abort();
      off();
      signal.removeEventListener('abort', done);
      resolve();
    };
    const off = onChange(() => {
      if (cond()) done();
    });
    signal.addEventListener('abort', done, { once: true });
    clock.sleep(timeoutMs, over.signal).then(done, () => undefined);
  });
}
