import { describe, expect, it } from 'vitest';
import { setTimeout as delay } from 'node:timers/promises';
import { Semaphore } from '../../../src/daemon/semaphore.js';

describe('Semaphore.useAlone', () => {
  it('waits for the running holders, runs with nobody beside it, and admits newcomers only after it', async () => {
    const sem = new Semaphore(3);
    const log: string[] = [];
    let inside = 0;
    let maxBesideAlone = 0;
    const job = (name: string, ms: number) => sem.use(async () => {
      inside++;
      log.push(`+${name}`);
      await delay(ms);
      log.push(`-${name}`);
      inside--;
    });
    const a = job('a', 30);
    const b = job('b', 10);
    await delay(1);
    const alone = sem.useAlone(async () => {
      maxBesideAlone = inside;
      log.push('+alone');
      await delay(10);
      log.push('-alone');
    });
    await delay(1);
    const c = job('c', 1); // arrives while alone waits: runs after it
    await Promise.all([a, b, alone, c]);
    expect(maxBesideAlone).toBe(0);
    expect(log.indexOf('+alone')).toBeGreaterThan(Math.max(log.indexOf('-a'), log.indexOf('-b')));
    expect(log.indexOf('+c')).toBeGreaterThan(log.indexOf('-alone'));
  });
});
