// (a) Keyslot hint: the passphrase sits in slot 3 of 4 (argon2id, 32 MiB, 4 iterations, 1 thread — a slot try
// is one real PBKDF run). `open --test-passphrase` without a hint tries slots 0..3 (4 runs); with the
// remembered hint (`--key-slot 3`) one run. Reference in the same run: the key of slot 0 (also one run).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cryptsetup } from '../src/adapters/cryptsetup.js';
import { ProcessRunner } from '../src/adapters/exec.js';
import { KeyslotHints, tryWithHint } from '../src/keys/hints.js';
import { addKey, makeLuksFile } from '../test/helpers/luks.js';
import { medianMs, round, type Row } from './stats.js';

const COST = { pbkdf: 'argon2id' as const, memoryKiB: 32 * 1024, iterations: 4, parallel: 1 };
const N = 5;

export async function keyslotBench(): Promise<Row[]> {
  const dir = await mkdtemp(join(tmpdir(), 'cryptvm-bench-'));
  try {
    const image = await makeLuksFile(join(dir, 'disk.img'), { key: Buffer.from('slot0'), ...COST });
    for (const slot of [1, 2]) await addKey(image, Buffer.from('slot0'), Buffer.from(`slot${slot}`), slot, COST);
    const key = Buffer.from('the passphrase in slot 3');
    await addKey(image, Buffer.from('slot0'), key, 3, COST);
    const cs = new Cryptsetup(new ProcessRunner());
    const must = async (p: Promise<{ result: string; keySlot?: number }>, slot: number) => {
      const r = await p;
      if (r.result !== 'opened' || r.keySlot !== slot) throw new Error(`bench setup: expected slot ${slot}, got ${JSON.stringify(r)}`);
    };
    const slot0 = await medianMs(N, () => must(cs.testPassphraseDetailed(image, Buffer.from('slot0')), 0));
    const cold = await medianMs(N, () => must(cs.testPassphraseDetailed(image, key), 3));
    const hinted = await medianMs(N, () => must(cs.testPassphraseDetailed(image, key, { keySlot: 3 }), 3));
    // The daemon's path: tryWithHint with a hint file written by the first (cold) unlock.
    const hints = new KeyslotHints(join(dir, 'state'));
    await tryWithHint(hints, 'disk', 'prompt', (s) => cs.testPassphraseDetailed(image, key, { keySlot: s }));
    const viaHints = await medianMs(N, () => tryWithHint(hints, 'disk', 'prompt', (s) => cs.testPassphraseDetailed(image, key, { keySlot: s })));
    const b = 'slot 3, no hint';
    return [
      { bench: 'keyslot', case: 'slot 0 key (1 PBKDF, reference)', value: round(slot0, 0), unit: 'ms', ratio: round(slot0 / cold), baseline: b },
      { bench: 'keyslot', case: 'slot 3, no hint (4 PBKDF)', value: round(cold, 0), unit: 'ms', ratio: 1, baseline: b },
      { bench: 'keyslot', case: 'slot 3, --key-slot 3', value: round(hinted, 0), unit: 'ms', ratio: round(hinted / cold), baseline: b, note: `speed-up ${round(cold / hinted, 1)}x` },
      { bench: 'keyslot', case: 'slot 3, tryWithHint (hint file)', value: round(viaHints, 0), unit: 'ms', ratio: round(viaHints / cold), baseline: b },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
