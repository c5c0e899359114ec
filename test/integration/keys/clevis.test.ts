// The clevis source against a real tang server (tangd on loopback) and LUKS2 files bound with the real
// `clevis luks bind`: the right key, tang killed (backed-off retries, then a fall-through), tang started late,
// tang slow, no binding (no network wait), an sss 1-of-2 policy over two tang servers, and the key never
// visible in /proc or the logs.
import { readdirSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Clevis } from '../../../src/adapters/clevis.js';
import { Cryptsetup } from '../../../src/adapters/cryptsetup.js';
import { ProcessRunner } from '../../../src/adapters/exec.js';
import { unlockWithChain } from '../../../src/keys/chain.js';
import { ClevisSource } from '../../../src/keys/clevis.js';
import { KeyFileSource } from '../../../src/keys/keyfile.js';
import { createLogger } from '../../../src/log/logger.js';
import { hasCryptsetup, makeLuksFile, tempDir } from '../../helpers/luks.js';
import { TangServer, tangMissing } from '../../helpers/tang.js';
import { ctx, volume } from '../../unit/keys/fakes.js';

const missing = !hasCryptsetup() ? 'cryptsetup not installed' : process.getuid?.() !== 0 ? 'needs root (tangd keys, key files)' : tangMissing();
if (missing) console.warn(`SKIPPED clevis/tang integration tests: ${missing}`);

const runner = new ProcessRunner();
const cryptsetup = new Cryptsetup(runner);
const PASS = Buffer.from('existing passphrase');

describe.skipIf(missing !== undefined)('clevis source with a real tang server', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let tang: TangServer;
  let tang2: TangServer;
  let bound: string;
  let sss: string;
  let plain: string;
  const lines: string[] = [];
  const log = createLogger({ level: 'trace', sink: { write: (l) => void lines.push(l) } });
  const source = (backoffMs?: [number, number]) => new ClevisSource({ clevis: new Clevis(runner), log, backoffMs });
  const vctx = (device: string, networkTimeoutMs = 3000) => ({ ...ctx(volume('cr_tang', { networkTimeoutMs })), device });

  beforeAll(async () => {
    tmp = await tempDir('cryptvm-clevis-');
    tang = await TangServer.started();
    bound = await makeLuksFile(join(tmp.dir, 'bound.img'), { key: PASS });
    plain = await makeLuksFile(join(tmp.dir, 'plain.img'), { key: PASS });
    const existing = join(tmp.dir, 'existing.key');
    await writeFile(existing, PASS, { mode: 0o600 });
    // -y trusts the advertisement; -k reads the existing passphrase from a file (never argv).
    // Asynchronously: the tang proxy runs in this process's event loop.
    const bind = async (device: string, pin: string, cfg: unknown): Promise<void> => {
      const r = await runner.run('clevis', ['luks', 'bind', '-y', '-k', existing, '-d', device, pin, JSON.stringify(cfg)], { timeoutMs: 60_000 });
      if (r.exitCode !== 0) throw new Error(`${r.command}: ${r.stderr}`);
    };
    await bind(bound, 'tang', { url: tang.url });
    // Shamir 1-of-2 over two tang servers: either one alone gives the key.
    tang2 = await TangServer.started();
    sss = await makeLuksFile(join(tmp.dir, 'sss.img'), { key: PASS });
    await bind(sss, 'sss', { t: 1, pins: { tang: [{ url: tang.url }, { url: tang2.url }] } });
    await rm(existing);
  }, 60_000);
  afterEach(async () => {
    tang.delayMs = 0;
    await tang.start();
    await tang2.start();
  });
  afterAll(async () => {
    await tang?.dispose();
    await tang2?.dispose();
    await tmp?.cleanup();
  });

  it('reads the binding (tang, its URL, slot 1) from the LUKS2 header', async () => {
    const found = await new Clevis(runner).bindings(bound);
    expect(found.luks2 && found.bindings.map(({ pin, urls, networkBound, keyslots }) => ({ pin, urls, networkBound, keyslots }))).toEqual([
      { pin: 'tang', urls: [tang.url], networkBound: true, keyslots: [1] },
    ]);
  });

  it('gets the key of the clevis-bound slot, which cryptsetup accepts', async () => {
    const r = await source().get(vctx(bound));
    expect(r.kind).toBe('key');
    if (r.kind !== 'key') return;
    expect(r.source).toBe('clevis');
    expect(r.keySlot).toBe(1); // the binding's slot, tried first by the unlock
    expect(await cryptsetup.testPassphrase(bound, r.key, { keySlot: r.keySlot })).toBe('ok');
    r.key.fill(0);
  }, 30_000);

  it('tang killed: retries with backoff until network_timeout, then the chain falls through to the next source', async () => {
    await tang.stop();
    const keyFile = join(tmp.dir, 'fallback.key');
    await writeFile(keyFile, PASS, { mode: 0o400 });
    lines.length = 0;
    const started = Date.now();
    const r = await unlockWithChain(vctx(bound), [source(), new KeyFileSource(keyFile)], (k) => cryptsetup.testPassphrase(bound, k, { keySlot: 0 }));
    const took = Date.now() - started;
    expect(r).toEqual({ opened: true, source: `keyfile:${keyFile}`, skipped: [expect.stringMatching(new RegExp(`^clevis: tang server ${tang.url} unreachable for 3s \\(slot 1, tang: Error communicating with server ${tang.url}\\)$`))] });
    expect(took).toBeGreaterThanOrEqual(2900);
    expect(took).toBeLessThan(6000);
    // 0.5 s, 1 s, then what is left of 3 s: several tries, each logged at debug.
    const retries = lines.map((l) => JSON.parse(l)).filter((l) => l.event === 'key-source-retrying');
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(retries.map((l) => l.delayMs).slice(0, 2)).toEqual([500, 1000]);
    expect(retries.every((l) => l.level === 20 && l.volume === 'cr_tang')).toBe(true);
  }, 30_000);

  it('tang started late (after 1 s): a retry gets the key', async () => {
    await tang.stop();
    const later = setTimeout(() => void tang.start(), 1000);
    const started = Date.now();
    const r = await source().get(vctx(bound, 10_000));
    clearTimeout(later);
    expect(r.kind).toBe('key');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    if (r.kind === 'key') r.key.fill(0);
  }, 30_000);

  it('tang slow (each connection waits 1 s, under the 3 s timeout): succeeds', async () => {
    tang.delayMs = 1000;
    const started = Date.now();
    const r = await source().get(vctx(bound));
    expect(r.kind).toBe('key');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    if (r.kind === 'key') r.key.fill(0);
  }, 30_000);

  it('tang slower than network_timeout: gives up at the deadline (clevis killed, no curl left behind)', async () => {
    tang.delayMs = 10_000;
    const started = Date.now();
    const r = await source().get(vctx(bound, 2000));
    expect(r).toMatchObject({ kind: 'unavailable', reason: expect.stringMatching(/^tang server .* unreachable for 2s .*no answer within/) });
    expect(Date.now() - started).toBeLessThan(5000);
    const curls = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`).includes(tang.url);
      } catch {
        return false;
      }
    });
    expect(curls).toEqual([]);
  }, 30_000);

  it('sss 1-of-2: read as network-bound with both URLs; one tang down still gives the key of its slot', async () => {
    const found = await new Clevis(runner).bindings(sss);
    expect(found.luks2 && found.bindings.map(({ pin, urls, networkBound, keyslots }) => ({ pin, urls, networkBound, keyslots }))).toEqual([
      { pin: 'sss', urls: [tang.url, tang2.url], networkBound: true, keyslots: [1] },
    ]);
    await tang.stop();
    const r = await source().get(vctx(sss));
    expect(r).toMatchObject({ kind: 'key', source: 'clevis', keySlot: 1 });
    if (r.kind !== 'key') return;
    expect(await cryptsetup.testPassphrase(sss, r.key, { keySlot: 1 })).toBe('ok');
    r.key.fill(0);
  }, 30_000);

  it('sss 1-of-2 with both tang servers down: waits with backoff, then unavailable naming both', async () => {
    await tang.stop();
    await tang2.stop();
    const started = Date.now();
    const r = await source([100, 400]).get(vctx(sss, 2000));
    expect(r).toMatchObject({ kind: 'unavailable', reason: expect.stringMatching(new RegExp(`^tang server ${tang.url}, ${tang2.url} unreachable for 2s \\(slot 1, sss: `)) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
  }, 30_000);

  it('a volume without a clevis binding is unavailable at once, with no network wait', async () => {
    await tang.stop();
    const started = Date.now();
    const r = await source().get(vctx(plain, 60_000));
    expect(r).toEqual({ kind: 'unavailable', source: 'clevis', reason: `no clevis binding (bind one with clevis luks bind -d ${plain} tang '{"url":"http://TANG"}')` });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('the clevis-produced key never appears in /proc/*/cmdline, /proc/*/environ or the logs', async () => {
    lines.length = 0;
    tang.delayMs = 300; // keep the clevis processes alive long enough to be seen
    const seen: Buffer[] = [];
    let scanning = true;
    const scanner = (async () => {
      while (scanning) {
        for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
          for (const f of ['cmdline', 'environ']) {
            try {
              seen.push(readFileSync(`/proc/${pid}/${f}`));
            } catch {
              // gone
            }
          }
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const r = await source().get(vctx(bound));
    scanning = false;
    await scanner;
    expect(r.kind).toBe('key');
    if (r.kind !== 'key') return;
    expect(r.key.length).toBeGreaterThan(16);
    expect(seen.length).toBeGreaterThan(100);
    expect(seen.filter((b) => b.includes(r.key))).toEqual([]);
    expect(lines.join('\n').includes(r.key.toString('latin1'))).toBe(false);
    r.key.fill(0);
  }, 30_000);
});
