// secretBuffer and copySecret: zeroed Buffers over an ArrayBuffer of their own (never Buffer's shared pool),
// copies of exactly the range asked for. That their bytes stay in one place (outside V8's heap) is measured
// on real processes by test/integration/security/residue.test.ts.
import { describe, expect, it } from 'vitest';
import { copySecret, secretBuffer, wipe } from '../../src/secret.js';

describe('secretBuffer / copySecret', () => {
  it('secretBuffer: zeroed, the whole of its own ArrayBuffer', () => {
    for (const n of [0, 1, 42, 64, 65, 5000]) {
      const b = secretBuffer(n);
      expect(Buffer.isBuffer(b)).toBe(true);
      expect(b.length).toBe(n);
      expect(b.byteOffset).toBe(0);
      expect(b.buffer.byteLength).toBe(n);
      expect(b.every((x) => x === 0)).toBe(true);
    }
    expect(secretBuffer(8).buffer).not.toBe(secretBuffer(8).buffer);
  });

  it('copySecret: the range, into a new secretBuffer; the source untouched', () => {
    const src = Buffer.from('passphrase\n');
    const c = copySecret(src, 0, src.length - 1);
    expect(c.toString()).toBe('passphrase');
    expect(c.buffer.byteLength).toBe(10);
    expect(copySecret(src).equals(src)).toBe(true);
    expect(copySecret(src, 4, 4).length).toBe(0);
    wipe(c);
    expect(c.every((x) => x === 0)).toBe(true);
    expect(src.toString()).toBe('passphrase\n');
  });
});
