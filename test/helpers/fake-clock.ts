// A monotonic clock the test moves by hand (src/clock.ts's Clock): sleeps end only when advance() passes
// their time, so deadline tests assert what happens at a given clock reading, never how long it took.
import { setImmediate as tick, setTimeout as delay } from 'node:timers/promises';
import { abortError, type Clock } from '../../src/clock.js';

export class FakeClock implements Clock {
  private t = 0;
  private timers: { at: number; resolve(): void }[] = [];

  now = (): number => this.t;

  sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError());
      const timer = { at: this.t + Math.max(0, ms), resolve };
      this.timers.push(timer);
      signal?.addEventListener('abort', () => {
        this.timers = this.timers.filter((x) => x !== timer);
        reject(abortError());
      }, { once: true });
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

  /**
   * Moves the clock from one sleeper's time to the next until p settles, for tests where the time is not what
   * they check (a whole shutdown). Waits for real I/O (1 ms at a time) while no sleeper is due.
   */
  async run<T>(p: Promise<T>, limitMs = 24 * 3_600_000): Promise<T> {
    let done = false;
    const watched = p.finally(() => void (done = true));
    watched.catch(() => undefined);
    const start = this.t;
    while (!done) {
      await settle();
      if (done) break;
      const next = Math.min(...this.timers.map((x) => x.at));
      if (!Number.isFinite(next)) {
        await delay(1);
        continue;
      }
      if (next - start > limitMs) throw new Error(`FakeClock.run: still pending after ${limitMs} ms on the clock (sleepers due at ${this.pending().slice(0, 5).join(', ')})`);
      await this.advance(next - this.t);
    }
    return watched;
  }

  /**
   * Waits (for real I/O, 1 ms at a time, at most limitMs of it) until a sleeper is due at the given reading,
   * for code that reads the disk between its waits; the clock does not move.
   */
  async armed(at: number, limitMs = 5_000): Promise<void> {
    for (let waited = 0; !this.timers.some((x) => x.at === at); waited++) {
      if (waited > limitMs) throw new Error(`FakeClock.armed: no sleeper due at ${at} (sleepers due at ${this.pending().slice(0, 5).join(', ')})`);
      await delay(1);
    }
  }

  /** Sleepers still waiting, by their time (what a test expects to be armed). */
  pending(): number[] {
    return this.timers.map((x) => x.at).sort((a, b) => a - b);
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await tick();
}
