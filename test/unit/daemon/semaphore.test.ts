import { describe, expect, it } from 'vitest';
import { Semaphore } from '../../../src/daemon/semaphore.js';
import { FakeClock } from '../../helpers/fake-clock.js';

describe('Semaphore.useAlone', () => {
  it('waits for the running holders, runs with nobody beside it, and admits newcomers only after it', async () => {
    // Each holder takes its time on the clock; the log says at which reading each one entered and left.
    const clock = new FakeClock();
    const sem = new Semaphore(3);
    const log: string[] = [];
    let inside = 0;
    let maxBesideAlone = -1;
    const job = (name: string, ms: number) => sem.use(async () => {
      inside++;
      log.push(`+${name}@${clock.now()}`);
      await clock.sleep(ms);
      log.push(`-${name}@${clock.now()}`);
      inside--;
    });
    const a = job('a', 30);
    const b = job('b', 10);
    await clock.advance(1);
    const alone = sem.useAlone(async () => {
      maxBesideAlone = inside;
      log.push(`+alone@${clock.now()}`);
      await clock.sleep(10);
      log.push(`-alone@${clock.now()}`);
    });
    await clock.advance(1);
    const c = job('c', 1); // arrives while alone waits: runs after it
    await clock.advance(27); // at 29 ms: a still runs, so alone and c still wait
    expect(log).toEqual(['+a@0', '+b@0', '-b@10']);
    await clock.advance(1);
    expect(log).toEqual(['+a@0', '+b@0', '-b@10', '-a@30', '+alone@30']);
    await clock.advance(9); // at 39 ms: alone still runs, c still waits
    expect(log).toHaveLength(5);
    await clock.advance(2);
    await Promise.all([a, b, alone, c]);
    expect(maxBesideAlone).toBe(0);
    expect(log).toEqual(['+a@0', '+b@0', '-b@10', '-a@30', '+alone@30', '-alone@40', '+c@40', '-c@41']);
  });
});
