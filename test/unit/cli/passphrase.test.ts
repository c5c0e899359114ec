import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { readPassphrase } from '../../../src/cli/passphrase.js';

class FakeTty extends EventEmitter {
  isTTY = true;
  raw: boolean[] = [];
  setRawMode(m: boolean) {
    this.raw.push(m);
  }
  resume() {}
  pause() {}
}

function typed(...chunks: (string | number[])[]) {
  const tty = new FakeTty();
  let shown = '';
  const p = readPassphrase(tty, { write: (s: string) => (shown += s) }, 'Passphrase:');
  const sent = chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : Buffer.from(c)));
  for (const b of sent) tty.emit('data', b);
  return { p, tty, shown: () => shown, sent };
}

describe('readPassphrase', () => {
  it('collects bytes with echo off, handles backspace over multi-byte characters, ends on Enter', async () => {
    const t = typed('pä', [0x7f], 'ss', 'x', [0x7f], 'wörd\r');
    const secret = await t.p;
    expect(secret?.toString('utf8')).toBe('psswörd');
    expect(t.shown()).toBe('Passphrase: \n'); // nothing typed is echoed
    expect(t.tty.raw).toEqual([true, false]);
    expect(t.sent.every((b) => b.every((x) => x === 0))).toBe(true); // input chunks wiped
  });

  it('Ctrl-U clears, escape sequences are ignored', async () => {
    expect((await typed('abc', [0x15], 'd', '\x1b[A', 'e\n').p)?.toString()).toBe('de');
  });

  it('Ctrl-C aborts with null, and so does Ctrl-D on an empty line', async () => {
    expect(await typed('secret', [0x03]).p).toBeNull();
    expect(await typed([0x04]).p).toBeNull();
  });

  it('grows past the initial buffer', async () => {
    const long = 'k'.repeat(1000);
    expect((await typed(long, '\r').p)?.toString()).toBe(long);
  });

  it('refuses without a terminal', async () => {
    const tty = new FakeTty();
    tty.isTTY = false;
    await expect(readPassphrase(tty, { write: () => true }, 'x')).rejects.toThrow(/needs? a terminal|from a terminal/);
  });
});
