// Keyslot hints: the file (0600 in a 0700 dir, atomic, names and numbers only, damage tolerated) and the
// hinted-try logic against a stateful fake LUKS device that counts the PBKDF runs a real one would make.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HINTS_FILE, KeyslotHints, tryWithHint, type SlotResult } from '../../../src/keys/hints.js';

const dirs: string[] = [];
function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'cryptvm-hints-'));
  dirs.push(d);
  return join(d, 'state'); // not there yet: set() creates it
}
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A LUKS device in miniature: slots hold keys; trying slot i costs one run; an inactive slot is an error. */
class FakeLuks {
  runs = 0;
  calls: (number | undefined)[] = [];
  constructor(public slots: (string | undefined)[]) {}
  attempt(key: string) {
    return async (keySlot?: number): Promise<SlotResult> => {
      this.calls.push(keySlot);
      if (keySlot !== undefined) {
        if (this.slots[keySlot] === undefined) throw new Error(`Keyslot ${keySlot} is not active (exit 1)`);
        this.runs++;
        return this.slots[keySlot] === key ? { result: 'opened', keySlot } : { result: 'bad-passphrase' };
      }
      for (const [i, k] of this.slots.entries()) {
        if (k === undefined) continue;
        this.runs++;
        if (k === key) return { result: 'opened', keySlot: i };
      }
      return { result: 'bad-passphrase' };
    };
  }
}

describe('KeyslotHints file', () => {
  it('creates a 0700 dir and a 0600 file holding only names and numbers, and reloads it', async () => {
    const dir = stateDir();
    const h = new KeyslotHints(dir);
    await h.set('cr_data', 'keyfile:/etc/cryptvm/data.key', 3);
    await h.set('cr_data', 'https:https://vault:8200/v1/kv/data/h', 1);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, HINTS_FILE)).mode & 0o777).toBe(0o600);
    const doc = JSON.parse(readFileSync(join(dir, HINTS_FILE), 'utf8'));
    expect(doc).toEqual({ version: 1, hints: { cr_data: { 'keyfile:/etc/cryptvm/data.key': 3, 'https:https://vault:8200/v1/kv/data/h': 1 } } });
    expect(readdirSync(dir)).toEqual([HINTS_FILE]); // no tmp file left behind
    const again = new KeyslotHints(dir);
    await again.load();
    expect(again.get('cr_data', 'keyfile:/etc/cryptvm/data.key')).toBe(3);
    expect(again.get('cr_data', 'prompt')).toBeUndefined();
  });

  it('refuses a loose existing state dir without tightening it, and ignores a damaged or hostile file', async () => {
    const dir = stateDir();
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, HINTS_FILE), '{"hints":{"v":{"prompt":99,"keyfile:/k":-1,"x":"3","ok":2}}}');
    const h = new KeyslotHints(dir);
    await h.load();
    expect(h.get('v', 'prompt')).toBeUndefined();
    expect(h.get('v', 'x')).toBeUndefined();
    expect(h.get('v', 'ok')).toBe(2);
    writeFileSync(join(dir, HINTS_FILE), '{not json');
    const h2 = new KeyslotHints(dir);
    await h2.load();
    expect(h2.get('v', 'ok')).toBeUndefined();
    await expect(h2.set('v', 'prompt', 0)).rejects.toThrow(`state directory ${dir} has mode 0755: group/other can access it: run 'chmod 0700 ${dir}'`);
    expect(statSync(dir).mode & 0o777).toBe(0o755);
  });

  it('concurrent sets are serialized: the file ends with every hint', async () => {
    const dir = stateDir();
    const h = new KeyslotHints(dir);
    await Promise.all(Array.from({ length: 20 }, (_, i) => h.set(`v${i}`, 'prompt', i % 8)));
    const doc = JSON.parse(readFileSync(join(dir, HINTS_FILE), 'utf8'));
    expect(Object.keys(doc.hints)).toHaveLength(20);
    expect(doc.hints.v13).toEqual({ prompt: 5 });
  });
});

describe('tryWithHint', () => {
  it('no hint: tries all slots and records the one that matched; next time one run on that slot', async () => {
    const luks = new FakeLuks(['a', 'b', 'c', 'key']);
    const h = new KeyslotHints(stateDir());
    expect(await tryWithHint(h, 'v', 'prompt', luks.attempt('key'))).toEqual({ result: 'ok', keySlot: 3, hinted: false, fellBack: false });
    expect(luks.runs).toBe(4);
    expect(h.get('v', 'prompt')).toBe(3);
    luks.runs = 0;
    expect(await tryWithHint(h, 'v', 'prompt', luks.attempt('key'))).toEqual({ result: 'ok', keySlot: 3, hinted: true, fellBack: false });
    expect(luks.runs).toBe(1);
    expect(luks.calls.at(-1)).toBe(3);
  });

  it('a stale hint (slot now holds another key) falls back and re-records', async () => {
    const luks = new FakeLuks(['key', 'b', 'c', 'd']);
    const h = new KeyslotHints(stateDir());
    await h.set('v', 'prompt', 3);
    expect(await tryWithHint(h, 'v', 'prompt', luks.attempt('key'))).toEqual({ result: 'ok', keySlot: 0, hinted: true, fellBack: true });
    expect(luks.calls).toEqual([3, undefined]);
    expect(h.get('v', 'prompt')).toBe(0);
  });

  it('a slot the source names (clevis binding) is tried first, even over a remembered one, and recorded', async () => {
    const luks = new FakeLuks(['a', 'b', 'key', 'd']);
    const h = new KeyslotHints(stateDir());
    expect(await tryWithHint(h, 'v', 'clevis', luks.attempt('key'), undefined, 2)).toEqual({ result: 'ok', keySlot: 2, hinted: true, fellBack: false });
    expect(luks.calls).toEqual([2]);
    await h.set('v', 'clevis', 0);
    luks.calls.length = 0;
    expect((await tryWithHint(h, 'v', 'clevis', luks.attempt('key'), undefined, 2)).keySlot).toBe(2);
    expect(luks.calls).toEqual([2]);
    expect(h.get('v', 'clevis')).toBe(2);
    // A wrong bound slot still falls back to all slots.
    luks.calls.length = 0;
    expect(await tryWithHint(h, 'v', 'clevis', luks.attempt('key'), undefined, 3)).toMatchObject({ result: 'ok', keySlot: 2, fellBack: true });
    expect(luks.calls).toEqual([3, undefined]);
  });

  it('a hint naming a wiped slot (cryptsetup error) falls back instead of failing', async () => {
    const luks = new FakeLuks(['a', 'key', undefined, undefined]);
    const h = new KeyslotHints(stateDir());
    await h.set('v', 'prompt', 3);
    expect((await tryWithHint(h, 'v', 'prompt', luks.attempt('key'))).keySlot).toBe(1);
    expect(h.get('v', 'prompt')).toBe(1);
  });

  it('a wrong key leaves the hint alone; errors without a hint propagate', async () => {
    const luks = new FakeLuks(['a', 'b', 'c', 'key']);
    const h = new KeyslotHints(stateDir());
    await h.set('v', 'prompt', 3);
    expect(await tryWithHint(h, 'v', 'prompt', luks.attempt('wrong'))).toMatchObject({ result: 'bad-passphrase', fellBack: true });
    expect(h.get('v', 'prompt')).toBe(3);
    await expect(tryWithHint(h, 'w', 'prompt', async () => Promise.reject(new Error('device gone')))).rejects.toThrow('device gone');
  });

  it('an unwritable state dir costs only the hint: the unlock still succeeds', async () => {
    const base = stateDir();
    writeFileSync(base, 'a file, not a dir');
    const h = new KeyslotHints(base);
    const warnings: string[] = [];
    const log = { warn: (_o: unknown, m: string) => void warnings.push(m), debug: () => undefined } as never;
    const luks = new FakeLuks(['key']);
    expect((await tryWithHint(h, 'v', 'prompt', luks.attempt('key'), log)).result).toBe('ok');
    expect(warnings).toEqual(['cannot save the keyslot hint (next unlock may be slower)']);
  });
});
