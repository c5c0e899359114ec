// Devices against a fake /dev with udev-style by-uuid/by-label symlinks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Devices, udevEscape } from '../../../src/adapters/devices.js';
import { CryptvmError } from '../../../src/errors.js';

let dev: string;
beforeAll(async () => {
  dev = await realpath(await mkdtemp(join(tmpdir(), 'cryptvm-dev-')));
  for (const d of ['disk/by-uuid', 'disk/by-partuuid', 'disk/by-label', 'volgrp4']) await mkdir(join(dev, d), { recursive: true });
  await writeFile(join(dev, 'sda1'), '');
  await writeFile(join(dev, 'sda2'), '');
  await writeFile(join(dev, 'dm-4'), '');
  await symlink('../dm-4', join(dev, 'volgrp4/lvimap_hd0'));
  await symlink('../../sda1', join(dev, 'disk/by-uuid/0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9'));
  await symlink('../../sda1', join(dev, 'disk/by-partuuid/1234-01'));
  await symlink('../../sda2', join(dev, 'disk/by-label/my\\x20disk\\x2fa'));
});
afterAll(() => rm(dev, { recursive: true, force: true }));

describe('Devices.resolve', () => {
  const d = () => new Devices({ devRoot: dev });
  it('resolves /dev paths, UUID=, PARTUUID=, LABEL= to the real device', async () => {
    expect(await d().resolve('/dev/volgrp4/lvimap_hd0')).toBe(join(dev, 'dm-4'));
    expect(await d().resolve('UUID=0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9')).toBe(join(dev, 'sda1'));
    expect(await d().resolve('UUID=0B1C2D3E-4F50-4617-8293-A4B5C6D7E8F9')).toBe(join(dev, 'sda1'));
    expect(await d().resolve('UUID="0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9"')).toBe(join(dev, 'sda1'));
    expect(await d().resolve('PARTUUID=1234-01')).toBe(join(dev, 'sda1'));
    expect(await d().resolve('LABEL=my disk/a')).toBe(join(dev, 'sda2'));
  });
  it('returns undefined for an absent device and throws on a malformed spec', async () => {
    expect(await d().resolve('UUID=ffff')).toBeUndefined();
    expect(await d().resolve('/dev/nope')).toBeUndefined();
    expect(() => d().linkPath('sda1')).toThrow(CryptvmError);
    expect(() => d().linkPath('UUID=')).toThrow(/empty UUID=/);
  });
  it('escapes labels like udev', () => {
    expect(udevEscape('my disk/a\\b')).toBe('my\\x20disk\\x2fa\\x5cb');
    expect(udevEscape('ok-._:#+=@ü')).toBe('ok-._:#+=@ü');
  });
});

describe('Devices.waitFor', () => {
  const d = () => new Devices({ devRoot: dev });
  it('returns once the device appears', async () => {
    setTimeout(() => void symlink('../../sda2', join(dev, 'disk/by-uuid/late')), 300);
    expect(await d().waitFor('UUID=late', 5_000)).toBe(join(dev, 'sda2'));
  });
  it('times out with DeviceNotFound naming volume, device and fix', async () => {
    const e = (await d().waitFor('UUID=never', 600, undefined, 'cr_x').catch((x: unknown) => x)) as CryptvmError;
    expect(e.code).toBe('DeviceNotFound');
    expect(e.message).toBe('volume cr_x: device UUID=never did not appear within 600ms — check the device exists (lsblk, blkid) or raise device_timeout');
  });
  it('stops when aborted', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const t0 = Date.now();
    await expect(d().waitFor('UUID=never', 60_000, ac.signal)).rejects.toMatchObject({ code: 'Cancelled' });
    expect(Date.now() - t0).toBeLessThan(2_000);
  });
});
