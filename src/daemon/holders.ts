// status() is synchronous (it backs D-Bus properties), holders come from an async /proc scan: keep the last
// answer per volume and refresh it in the background, at most once every few seconds.
import type { DeviceMapper } from '../adapters/dm.js';
import { monotonicNow } from '../clock.js';

const MAX_AGE_MS = 3_000;

export class HolderCache {
  private cache = new Map<string, { at: number; holders: string[]; refreshing: boolean }>();

  constructor(private readonly dm: Pick<DeviceMapper, 'holders'>) {}

  get(volume: string): string[] {
    const now = monotonicNow();
    const entry = this.cache.get(volume) ?? { at: 0, holders: [], refreshing: false };
    this.cache.set(volume, entry);
    if (now - entry.at > MAX_AGE_MS && !entry.refreshing) {
      entry.refreshing = true;
      this.dm
        .holders(volume)
        .then((h) => Object.assign(entry, { holders: h, at: monotonicNow() }))
        .catch(() => Object.assign(entry, { holders: [], at: monotonicNow() }))
        .finally(() => (entry.refreshing = false));
    }
    return entry.holders;
  }
}
