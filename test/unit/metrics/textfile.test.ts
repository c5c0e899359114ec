// The metrics file: atomic writes (temp + rename, never a .prom temp), at most one per second with a fake
// clock however many changes come, the last change always written, close() flushes.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TextfileWriter } from '../../../src/metrics/textfile.js';
import { FakeClock } from '../../helpers/fake-clock.js';

const dir = mkdtempSync(join(tmpdir(), 'cryptvm-metrics-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('TextfileWriter', () => {
  it('writes at once, then at most once a second, with the latest text', async () => {
    const clock = new FakeClock();
    let n = 0;
    const renders: number[] = [];
    const path = join(dir, 'cryptvm.prom');
    const w = new TextfileWriter(path, () => (renders.push(++n), `cryptvm_x ${n}\n`), { clock });
    w.changed();
    await w.idle();
    expect(readFileSync(path, 'utf8')).toBe('cryptvm_x 1\n');
    for (let i = 0; i < 50; i++) w.changed();
    await clock.advance(500);
    for (let i = 0; i < 50; i++) w.changed();
    expect(clock.pending()).toEqual([1000]); // one wait armed, however many changes
    await clock.advance(499);
    await w.idle();
    expect(renders).toEqual([1]); // at 999 ms: not yet
    await clock.advance(1);
    await w.idle();
    expect(renders).toEqual([1, 2]);
    expect(readFileSync(path, 'utf8')).toBe('cryptvm_x 2\n');
    w.changed();
    expect(clock.pending()).toEqual([2000]);
    await w.close();
    expect(clock.pending()).toEqual([]); // close() ends the wait
    expect(readFileSync(path, 'utf8')).toBe('cryptvm_x 3\n');
    w.changed();
    await clock.advance(5000);
    await w.idle();
    expect(renders).toEqual([1, 2, 3]);
    expect(readdirSync(dir)).toEqual(['cryptvm.prom']);
  });

  it('a directory that is not there is reported, not thrown, and leaves nothing behind', async () => {
    const errors: unknown[] = [];
    const w = new TextfileWriter(join(dir, 'missing', 'cryptvm.prom'), () => 'x\n', { clock: new FakeClock(), onError: (e) => errors.push(e) });
    await w.close();
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/ENOENT/);
  });

  it('the file is world-readable (node_exporter runs as another user) even with the unit UMask=0077', async () => {
    const old = process.umask(0o077);
    try {
      const path = join(dir, 'umask.prom');
      const w = new TextfileWriter(path, () => 'x 1\n', { clock: new FakeClock() });
      await w.close();
      expect((statSync(path).mode & 0o777).toString(8)).toBe('644');
    } finally {
      process.umask(old);
    }
  });
});
