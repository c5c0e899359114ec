// Waiting for a condition on the daemon's state without polling: checked at once and after every change
// event, given up after a timeout or when the signal aborts (the daemon stopping).

export function until(cond: () => boolean, timeoutMs: number, onChange: (listener: () => void) => () => void, signal: AbortSignal): Promise<void> {
  if (cond() || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      off();
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    const off = onChange(() => {
      if (cond()) done();
    });
    signal.addEventListener('abort', done, { once: true });
  });
}
