// status() is synchronous (it backs D-Bus properties), holders come from an async /proc scan: keep the last
// answer per volume and refresh it in the background, at most once every few seconds.
import type { DeviceMapper } from '../adapters/dm.js';
import type { Clock } from '../clock.js';

const MAX_AGE_MS = 3_000;

export class HolderCache {
  private cache = new Map<string, { at: number; holders: string[]; refreshing: boolean }>();

  constructor(
    private readonly dm: Pick<DeviceMapper, 'holders'>,
    private readonly clock: Pick<Clock, 'now'>,
  ) {}

  get(volume: string): string[] {
    const now = this.clock.now();
    const entry = this.cache.get(volume) ?? { at: 0, holders: [], refreshing: false };
    this.cache.set(volume, entry);
    if (now - entry.at > MAX_AGE_MS && !entry.refreshing) {
      entry.refreshing = true;
      this.dm
        .holders(volume)
        .then((h) => Object.assign(entry, { holders: h, at: this.clock.now() }))
        .catch(() => Object.assign(entry, { holders: [], at: this.clock.now() }))
        .finally(() => (entry.refreshing = false));
    }
    return entry.holders;
  }
}
