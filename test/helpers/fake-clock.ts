// A monotonic clock the test moves by hand (src/clock.ts's Clock): sleeps end only when advance() passes
// their time, so deadline tests assert what happens at a given clock reading, never how long it took.
import { setImmediate as tick } from 'node:timers/promises';
import type { Clock } from '../../src/clock.js';

export class FakeClock implements Clock {
  private t = 0;
  private timers: { at: number; resolve(): void }[] = [];

  now = (): number => this.t;

  sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(new DOMException('The operation was aborted', 'AbortError'));
      const timer = { at: this.t + Math.max(0, ms), resolve };
      this.timers.push(timer);
      signal?.addEventListener('abort', () => {
        this.timers = this.timers.filter((x) => x !== timer);
        reject(new DOMException('The operation was aborted', 'AbortError'));
      });
    });

  /** Moves the clock forward, waking each sleeper at its time and letting the code it runs settle. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = due.at;
      due.resolve();
    }
    this.t = end;
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await tick();
}
