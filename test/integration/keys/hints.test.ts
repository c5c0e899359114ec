// Keyslot hints with the real cryptsetup on a LUKS2 file: 4 keyslots (pbkdf2, 200 000 iterations so a slot
// try is a measurable PBKDF run), the passphrase in slot 3. A recording Runner around the real ProcessRunner
// shows which argv cryptsetup got: no --key-slot the first time, --key-slot 3 once the hint exists, and a
// fall-back to all slots when the hinted slot was wiped and the key moved.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cryptsetup } from '../../../src/adapters/cryptsetup.js';
import { ProcessRunner, type Runner, type RunOptions, type RunResult } from '../../../src/adapters/exec.js';
import { HINTS_FILE, KeyslotHints, tryWithHint } from '../../../src/keys/hints.js';
import { addKey, hasCryptsetup, makeLuksFile, tempDir } from '../../helpers/luks.js';

const ok = hasCryptsetup();
if (!ok) console.warn('SKIPPED keyslot hint integration test: cryptsetup not installed (apt-get install cryptsetup-bin)');

class RecordingRunner implements Runner {
  readonly argv: string[][] = [];
  private readonly real = new ProcessRunner();
  run(file: string, args: readonly string[], options?: RunOptions): Promise<RunResult> {
    this.argv.push([file, ...args]);
    return this.real.run(file, args, options);
  }
}

const COST = { pbkdf: 'pbkdf2' as const, iterations: 200_000 };
const slotArg = (argv: string[]): string | undefined => {
  const i = argv.indexOf('--key-slot');
  return i < 0 ? undefined : argv[i + 1];
};

describe.skipIf(!ok)('keyslot hints with real cryptsetup', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let image: string;
  const passphrase = Buffer.from('the one in slot 3\n');
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('cryptvm-hints-'));
    image = await makeLuksFile(join(dir, 'disk.img'), { key: Buffer.from('slot0'), ...COST });
    for (const [slot, key] of [[1, 'slot1'], [2, 'slot2']] as const) await addKey(image, Buffer.from('slot0'), Buffer.from(key), slot, COST);
    await addKey(image, Buffer.from('slot0'), passphrase, 3, COST);
  });
  afterAll(() => cleanup?.());

  it('records slot 3, then passes --key-slot 3; a stale hint falls back and re-records', async () => {
    const runner = new RecordingRunner();
    const cs = new Cryptsetup(runner);
    const stateDir = join(dir, 'state');
    const hints = new KeyslotHints(stateDir);
    const attempt = (slot?: number) => cs.testPassphraseDetailed(image, passphrase, { keySlot: slot });

    const first = await tryWithHint(hints, 'cr_disk', 'prompt', attempt);
    expect(first).toEqual({ result: 'ok', keySlot: 3, hinted: false, fellBack: false });
    expect(runner.argv.map(slotArg)).toEqual([undefined]);
    const onDisk = readFileSync(join(stateDir, HINTS_FILE), 'utf8');
    expect(JSON.parse(onDisk)).toEqual({ version: 1, hints: { cr_disk: { prompt: 3 } } });
    expect(onDisk).not.toContain('slot 3'); // no passphrase text in the file, only names and numbers
    expect(onDisk.replace(/"[a-z_]+"|[\d{}:,\s]/g, '')).toBe('');

    // A fresh daemon (new KeyslotHints) loads the hint and goes straight to the slot.
    const reloaded = new KeyslotHints(stateDir);
    await reloaded.load();
    runner.argv.length = 0;
    const second = await tryWithHint(reloaded, 'cr_disk', 'prompt', attempt);
    expect(second).toEqual({ result: 'ok', keySlot: 3, hinted: true, fellBack: false });
    expect(runner.argv.map(slotArg)).toEqual(['3']);

    // The admin moves the passphrase: kill slot 3, add it in slot 1 (after wiping slot 1's old key).
    const admin = new ProcessRunner();
    for (const slot of ['3', '1']) {
      const r = await admin.run('cryptsetup', ['luksKillSlot', '--batch-mode', image, slot], { input: Buffer.from('slot0'), secret: true });
      expect(r.exitCode).toBe(0);
    }
    await addKey(image, Buffer.from('slot0'), passphrase, 1, COST);
    runner.argv.length = 0;
    const third = await tryWithHint(reloaded, 'cr_disk', 'prompt', attempt);
    expect(third).toEqual({ result: 'ok', keySlot: 1, hinted: true, fellBack: true });
    expect(runner.argv.map(slotArg)).toEqual(['3', undefined]);
    expect(reloaded.get('cr_disk', 'prompt')).toBe(1);
    expect(JSON.parse(readFileSync(join(stateDir, HINTS_FILE), 'utf8')).hints.cr_disk.prompt).toBe(1);

    // A wrong passphrase: the hinted slot, then all slots, both wrong; the hint stays.
    runner.argv.length = 0;
    const wrong = await tryWithHint(reloaded, 'cr_disk', 'prompt', (slot) => cs.testPassphraseDetailed(image, Buffer.from('nope'), { keySlot: slot }));
    expect(wrong.result).toBe('bad-passphrase');
    expect(runner.argv.map(slotArg)).toEqual(['1', undefined]);
    expect(reloaded.get('cr_disk', 'prompt')).toBe(1);
  });
});
