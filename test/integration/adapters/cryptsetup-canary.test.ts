// The key must never be visible to other processes: while a real (argon2id, ~0.5 s) test-passphrase runs,
// scan every /proc/*/cmdline and /proc/*/environ for a canary key; and no error may carry it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readdir, readFile } from 'node:fs/promises';
import { inspect } from 'node:util';
import { randomBytes } from 'node:crypto';
import { ProcessRunner } from '../../../src/adapters/exec.js';
import { Cryptsetup } from '../../../src/adapters/cryptsetup.js';
import { hasCryptsetup, makeLuksFile, tempDir } from '../../helpers/luks.js';

const available = hasCryptsetup();
if (!available) console.warn('SKIPPED: cryptsetup not installed (apt install cryptsetup-bin)');

/** Returns [canary found, a cryptsetup --test-passphrase process seen]. */
async function scanProc(canary: Buffer): Promise<[boolean, boolean]> {
  let found = false;
  let seen = false;
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    for (const f of ['cmdline', 'environ']) {
      const data = await readFile(`/proc/${pid}/${f}`).catch(() => undefined);
      if (!data) continue;
      if (data.includes(canary)) found = true;
      if (f === 'cmdline' && data.includes('cryptsetup\0') && data.includes('--test-passphrase')) seen = true;
    }
  }
  return [found, seen];
}

describe.skipIf(!available)('Cryptsetup never exposes the key', () => {
  const cs = new Cryptsetup(new ProcessRunner());
  const canary = Buffer.from(`canary-${randomBytes(12).toString('hex')}`);
  let dir: string, cleanup: () => Promise<void>, image: string;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    image = await makeLuksFile(join(dir, 'slow.img'), { key: canary, pbkdf: 'argon2id', memoryKiB: 131072, iterations: 4, parallel: 1 });
  });
  afterAll(() => cleanup?.());

  it('is absent from every cmdline and environ while cryptsetup runs', async () => {
    let done = false;
    const run = cs.testPassphrase(image, canary).finally(() => (done = true));
    let leaked = false;
    let observed = 0;
    while (!done) {
      const [found, seen] = await scanProc(canary);
      leaked ||= found;
      if (seen) observed++;
    }
    expect(await run).toBe('ok');
    expect(observed).toBeGreaterThan(0); // the scan really saw the child running
    expect(leaked).toBe(false);
  });

  it('is absent from thrown errors (missing device, no device-mapper)', async () => {
    const errors = await Promise.all([
      cs.testPassphrase(join(dir, 'missing.img'), canary).catch((e: unknown) => e),
      cs.open(image, 'cryptvm_canary', canary).catch((e: unknown) => e),
    ]);
    for (const e of errors) {
      expect(e).toBeInstanceOf(Error);
      expect(inspect(e, { depth: 6 })).not.toContain(canary.toString());
      expect(JSON.stringify(e)).not.toContain(canary.toString());
    }
  });
});
