// onEncryptedStorage against a fake sysfs: LVM on LUKS counts, a plain disk does not; and dev_t decoding.
import { describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, writeFile, symlink, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { majMin, onEncryptedStorage } from '../../../src/adapters/blockdev.js';

describe('majMin', () => {
  it.each([
    [0x0801n, '8:1'],
    [0xfd03n, '253:3'],
    [(259n << 8n) | 0x10n | (1n << 20n), '259:272'],
  ])('%s → %s', (dev, expected) => expect(majMin(dev)).toBe(expected));
});

describe('onEncryptedStorage', () => {
  it('follows slaves from the filesystem device down to a CRYPT- mapping, and says no for a plain disk', async () => {
    const sys = await mkdtemp(join(tmpdir(), 'cryptvm-sys-'));
    const st = await stat(tmpdir(), { bigint: true });
    const here = majMin(st.dev);
    const block = join(sys, 'devices', 'dm-1');
    await mkdir(join(block, 'dm'), { recursive: true });
    await writeFile(join(block, 'dm', 'uuid'), 'LVM-abc\n');
    const crypt = join(sys, 'devices', 'dm-0');
    await mkdir(join(crypt, 'dm'), { recursive: true });
    await writeFile(join(crypt, 'dm', 'uuid'), 'CRYPT-LUKS2-0123-cr_pv\n');
    await mkdir(join(block, 'slaves'));
    await symlink(crypt, join(block, 'slaves', 'dm-0'));
    await mkdir(join(sys, 'dev', 'block'), { recursive: true });
    await symlink(block, join(sys, 'dev', 'block', here));
    if (here.startsWith('0:')) return void expect(await onEncryptedStorage(tmpdir(), sys)).toBe(false);
    expect(await onEncryptedStorage(join(tmpdir(), 'does', 'not', 'exist', 'yet'), sys)).toBe(true);
    await writeFile(join(crypt, 'dm', 'uuid'), 'LVM-xyz\n');
    expect(await onEncryptedStorage(tmpdir(), sys)).toBe(false);
  });
});
