// Devices against a fake /dev with udev-style by-uuid/by-label symlinks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Devices, udevEscape } from '../../../src/adapters/devices.js';
import { CryptvmError } from '../../../src/errors.js';
import { FakeClock } from '../../helpers/fake-clock.js';

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
  // The polls wait on the clock (250 ms, doubling up to 1 s); the fake /dev is real files.
  const d = (clock: FakeClock) => new Devices({ devRoot: dev, clock });
  it('returns at the first poll after the device appears', async () => {
    const clock = new FakeClock();
    let found: string | undefined;
    const run = d(clock).waitFor('UUID=late', 5_000).then((p) => (found = p));
    await clock.armed(250); // polled at 0: absent
    await clock.advance(250);
    await clock.armed(750); // polled at 250: absent
    expect(found).toBeUndefined();
    await symlink('../../sda2', join(dev, 'disk/by-uuid/late'));
    await clock.advance(499);
    expect(found).toBeUndefined(); // not before the next poll
    await clock.advance(1);
    expect(await run).toBe(join(dev, 'sda2'));
    expect(clock.now()).toBe(750);
  });
  it('times out at the deadline on the clock with DeviceNotFound naming volume, device and fix', async () => {
    const clock = new FakeClock();
    const e = (await clock.run(d(clock).waitFor('UUID=never', 600, undefined, 'cr_x')).catch((x: unknown) => x)) as CryptvmError;
    expect(clock.now()).toBe(600); // polls at 0, 250 and 600 (the last wait cut to the deadline)
    expect(e.code).toBe('DeviceNotFound');
    expect(e.message).toBe('volume cr_x: device UUID=never did not appear within 600ms — check the device exists (lsblk, blkid) or raise device_timeout');
  });
  it('stops when aborted, leaving no wait behind', async () => {
    const clock = new FakeClock();
    const ac = new AbortController();
    const run = d(clock).waitFor('UUID=never', 60_000, ac.signal).catch((x: unknown) => x);
    await clock.armed(250);
    await clock.advance(100);
    ac.abort();
    expect(await run).toMatchObject({ code: 'Cancelled' });
    expect(clock.pending()).toEqual([]);
    expect(clock.now()).toBe(100);
  });
});
