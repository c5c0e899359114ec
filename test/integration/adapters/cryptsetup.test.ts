// Real cryptsetup against real LUKS files. This kernel has no device-mapper: `open` must fail with a clear
// error (never 'bad-passphrase'); everything else runs for real.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { writeFile, truncate } from 'node:fs/promises';
import { ProcessRunner } from '../../../src/adapters/exec.js';
import { Cryptsetup } from '../../../src/adapters/cryptsetup.js';
import { CryptvmError } from '../../../src/errors.js';
import { addKey, hasCryptsetup, makeLuksFile, tempDir } from '../../helpers/luks.js';

const available = hasCryptsetup();
if (!available) console.warn('SKIPPED: cryptsetup not installed (apt install cryptsetup-bin)');

describe.skipIf(!available)('Cryptsetup (real cryptsetup, LUKS files)', () => {
  const cs = new Cryptsetup(new ProcessRunner());
  const key = Buffer.from('correct horse');
  const key1 = Buffer.from('slot one key');
  const uuid = '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9';
  let dir: string, cleanup: () => Promise<void>, luks: string, argon: string, blank: string, luks1: string;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    luks = await makeLuksFile(join(dir, 'pbkdf2.img'), { key, uuid });
    await addKey(luks, key, key1, 1);
    argon = await makeLuksFile(join(dir, 'argon.img'), { key, pbkdf: 'argon2id', memoryKiB: 32768, iterations: 4, parallel: 2 });
    luks1 = await makeLuksFile(join(dir, 'luks1.img'), { key, type: 'luks1' });
    blank = join(dir, 'blank.img');
    await writeFile(blank, '');
    await truncate(blank, 4 * 1024 * 1024);
  });
  afterAll(() => cleanup?.());

  it('isLuks tells a LUKS file from a zero file and throws on a missing device', async () => {
    expect(await cs.isLuks(luks)).toBe(true);
    expect(await cs.isLuks(blank)).toBe(false);
    const e = await cs.isLuks(join(dir, 'missing.img')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CryptvmError);
    expect((e as CryptvmError).code).toBe('WrongDevice');
    expect((e as CryptvmError).exitCode).toBe(4);
    expect((e as CryptvmError).message).toContain('missing.img');
    expect((e as CryptvmError).command).toMatch(/^cryptsetup isLuks /);
  });

  it('luksUuid returns the UUID luksFormat set', async () => {
    expect(await cs.luksUuid(luks)).toBe(uuid);
  });

  it('luksUuid on a blank file is NotLuks naming the file', async () => {
    const e = (await cs.luksUuid(blank).catch((x: unknown) => x)) as CryptvmError;
    expect(e.code).toBe('NotLuks');
    expect(e.message).toContain('blank.img');
  });

  it('metadata lists keyslots with their PBKDF', async () => {
    const m = await cs.metadata(luks);
    expect(m.keyslots.map((k) => k.id)).toEqual([0, 1]);
    expect(m.keyslots.every((k) => k.pbkdf.type === 'pbkdf2' && k.pbkdf.iterations === 1000)).toBe(true);
    expect(m.tokens).toEqual([]);
    expect(cs.unlockCost(m)).toEqual({ memoryKiB: 1024, threads: 1 });
  });

  it('metadata reads argon2id memory and parallelism', async () => {
    const m = await cs.metadata(argon);
    expect(m.keyslots[0]?.pbkdf).toEqual({ type: 'argon2id', memoryKiB: 32768, iterations: 4, parallel: 2 });
    expect(cs.unlockCost(m)).toEqual({ memoryKiB: 32768, threads: 2 });
  });

  it('metadata degrades to the text dump for LUKS1', async () => {
    const m = await cs.metadata(luks1);
    expect(m.version).toBe(1);
    expect(m.keyslots).toEqual([{ id: 0, type: 'luks1', priority: 'normal', pbkdf: { type: 'pbkdf2', iterations: 1000 } }]);
  });

  it('testPassphrase is byte-exact: right key ok, wrong key and key+newline bad', async () => {
    expect(await cs.testPassphrase(luks, key)).toBe('ok');
    expect(await cs.testPassphrase(luks, Buffer.from('wrong'))).toBe('bad-passphrase');
    expect(await cs.testPassphrase(luks, Buffer.concat([key, Buffer.from('\n')]))).toBe('bad-passphrase');
    expect(await cs.testPassphrase(argon, key)).toBe('ok');
  });

  it('keySlot hint limits the search and the matching slot is reported', async () => {
    expect(await cs.testPassphrase(luks, key1, { keySlot: 1 })).toBe('ok');
    expect(await cs.testPassphrase(luks, key1, { keySlot: 0 })).toBe('bad-passphrase');
    expect(await cs.testPassphraseDetailed(luks, key1)).toEqual({ result: 'opened', keySlot: 1 });
  });

  it('testPassphrase on a missing device is WrongDevice naming it', async () => {
    const e = (await cs.testPassphrase(join(dir, 'nope.img'), key).catch((x: unknown) => x)) as CryptvmError;
    expect(e.code).toBe('WrongDevice');
    expect(e.message).toContain('nope.img');
    expect(e.exitCode).toBe(4);
    expect(e.cause).toBeDefined();
  });

  it('open without device-mapper is a clear error, not a bad passphrase', async () => {
    const e = (await cs.open(luks, 'cryptvm_it_x', key).catch((x: unknown) => x)) as CryptvmError;
    expect(e).toBeInstanceOf(CryptvmError);
    expect(e.code).toBe('Failed');
    expect(e.message).toMatch(/device-mapper/);
    expect(e.message).toContain('modprobe dm_mod');
    expect(e.command).toContain('--key-file=-');
    expect(e.message).not.toContain(key.toString());
  });

  it('status of a missing mapping without device-mapper is an error, close too (not "not-active")', async () => {
    await expect(cs.status('cryptvm_it_none')).rejects.toMatchObject({ code: 'Failed' });
    await expect(cs.close('cryptvm_it_none')).rejects.toMatchObject({ code: 'Failed', exitCode: 4 });
  });
});
