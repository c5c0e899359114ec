// Telling systemd we are alive while a long step runs (waiting for a passphrase, stopping guests one ACPI
// timeout after another): EXTEND_TIMEOUT_USEC= every 20 s, each granting 60 s more, so the unit's
// TimeoutStartSec=/TimeoutStopSec= only catches a daemon that stopped talking.
import type { Notifier } from '../adapters/notify.js';
import type { Clock } from '../clock.js';

export const EXTEND_EVERY_MS = 20_000;
export const EXTEND_GRANT_USEC = String(EXTEND_EVERY_MS * 3 * 1000);

/** Runs fn, sending EXTEND_TIMEOUT_USEC= at once and every EXTEND_EVERY_MS until it settles. */
export async function extendWhile<T>(notifier: Notifier, clock: Pick<Clock, 'sleep'>, fn: () => Promise<T>): Promise<T> {
  const done = new AbortController();
  const beat = (async () => {
    while (!done.signal.aborted) {
      await notifier.notify({ EXTEND_TIMEOUT_USEC: EXTEND_GRANT_USEC }).catch(() => undefined);
      await clock.sleep(EXTEND_EVERY_MS, done.signal).catch(() => undefined);
    }
  })();
  try {
    return await fn();
  } finally {
    done.abort();
    await beat;
  }
}
