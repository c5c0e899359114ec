// Backoff for network-bound key sources: the network (or the key server) may still be coming up at boot.

/** 0.5 s, 1 s, 2 s, 4 s, 5 s, 5 s … (initial doubling up to max). */
export function* backoffDelays(initialMs: number, maxMs: number): Generator<number, never> {
  let d = initialMs;
  for (;;) {
    yield d;
    d = Math.min(maxMs, d * 2);
  }
}

/** Waits ms; resolves false at once if the signal aborts (no timer left behind). */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(t);
      resolve(false);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
