// DeviceMapper against a fake /sys, /proc and /dev built from real files and symlinks in a temp dir.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DeviceMapper, expectedDmUuid, isMappingOf } from '../../../src/adapters/dm.js';
import { FakeRunner } from '../../helpers/fake-runner.js';

const LUKS_UUID = '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9';
let root: string;
const put = async (p: string, content: string) => {
  await mkdir(dirname(join(root, p)), { recursive: true });
  await writeFile(join(root, p), content);
};
const link = async (p: string, target: string) => {
  await mkdir(dirname(join(root, p)), { recursive: true });
  await symlink(target, join(root, p));
};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cryptvm-dm-'));
  const dev = join(root, 'dev');
  await put('sys/block/dm-0/dev', '253:0\n');
  await put('sys/block/dm-0/dm/name', 'cr_a\n');
  await put('sys/block/dm-0/dm/uuid', `${expectedDmUuid(LUKS_UUID, 'cr_a')}\n`);
  await link('sys/block/dm-0/holders/dm-1', '../../dm-1');
  await put('sys/block/dm-1/dev', '253:1\n');
  await put('sys/block/dm-1/dm/name', 'vg-lv\n');
  await put('sys/block/dm-1/dm/uuid', '\n');
  await put('sys/block/loop0/dev', '7:0\n');
  await mkdir(join(root, 'sys/block/dm-9'), { recursive: true }); // vanished mid-scan: no files left
  await put('proc/1234/comm', 'qemu-system-x86\n');
  await link('proc/1234/fd/17', join(dev, 'dm-0'));
  await link('proc/1234/cwd', '/');
  await put('proc/77/comm', 'dd\n');
  await link('proc/77/fd/0', join(dev, 'mapper/cr_a'));
  await put('proc/55/comm', 'bash\n');
  await link('proc/55/fd/0', '/dev/null');
  await mkdir(join(root, 'proc/999'), { recursive: true }); // exited: no fd dir
  await link('proc/self', '1234');
});
afterAll(() => rm(root, { recursive: true, force: true }));

const dm = (runner?: FakeRunner) =>
  new DeviceMapper({ sysRoot: join(root, 'sys'), procRoot: join(root, 'proc'), devRoot: join(root, 'dev') }, runner);

describe('DeviceMapper (fake sysfs)', () => {
  it('finds a mapping by name with its kernel name, maj:min and uuid', async () => {
    expect(await dm().findMapping('cr_a')).toEqual({ name: 'cr_a', dmName: 'dm-0', majMin: '253:0', uuid: `CRYPT-LUKS2-0b1c2d3e4f5046178293a4b5c6d7e8f9-cr_a` });
    expect(await dm().findMapping('vg-lv')).toMatchObject({ dmName: 'dm-1', uuid: '' });
    expect(await dm().findMapping('nope')).toBeNull();
    expect((await dm().list()).map((m) => m.dmName).sort()).toEqual(['dm-0', 'dm-1']);
  });

  it('names stacked devices and processes holding the mapping', async () => {
    expect((await dm().holders('cr_a')).sort()).toEqual(['dd (pid 77)', 'mapping vg-lv (dm-1)', 'qemu-system-x86 (pid 1234)']);
    expect(await dm().holders('vg-lv')).toEqual([]);
    expect(await dm().holders('nope')).toEqual([]);
  });

  it('builds and recognises LUKS1/LUKS2 dm UUIDs', () => {
    expect(expectedDmUuid(LUKS_UUID, 'x', 1)).toBe('CRYPT-LUKS1-0b1c2d3e4f5046178293a4b5c6d7e8f9-x');
    expect(isMappingOf('CRYPT-LUKS1-0B1C2D3E4F5046178293A4B5C6D7E8F9-x', LUKS_UUID, 'x')).toBe(true);
    expect(isMappingOf(expectedDmUuid(LUKS_UUID, 'x'), LUKS_UUID, 'y')).toBe(false);
    expect(isMappingOf('CRYPT-PLAIN-x', LUKS_UUID, 'x')).toBe(false);
  });

  it('openCount runs dmsetup and maps missing devices to null', async () => {
    const r = new FakeRunner((c) => {
      if (c.file !== 'dmsetup') return undefined;
      const name = c.args.at(-1);
      if (name === 'cr_a') return { stdout: '  2\n' };
      if (name === 'gone') return { exitCode: 1, stderr: 'Device does not exist.\nCommand failed.\n' };
      return { exitCode: 1, stderr: '/dev/mapper/control: open failed: No such device\n' };
    });
    expect(await dm(r).openCount('cr_a')).toBe(2);
    expect(r.calls[0]?.args).toEqual(['info', '-c', '--noheadings', '-o', 'open', '--', 'cr_a']);
    expect(await dm(r).openCount('gone')).toBeNull();
    await expect(dm(r).openCount('x')).rejects.toMatchObject({ code: 'Failed', exitCode: 1, command: 'dmsetup info -c --noheadings -o open -- x' });
  });
});

describe('holdersOfDevice', () => {
  it('names the mapping stacked on a configured device path (symlink resolved), and nothing for a free one', async () => {
    await put('dev/sdb1', '');
    await link('dev/vg/tang', '../sdb1');
    await link('sys/class/block/sdb1/holders/dm-0', '../../../../block/dm-0');
    await put('dev/sdc1', '');
    expect(await dm().holdersOfDevice('/dev/vg/tang')).toEqual(['mapping cr_a (dm-0)']);
    expect(await dm().holdersOfDevice('/dev/sdc1')).toEqual([]);
  });
});

describe('mappingState and removeHalfMade', () => {
  it('reads table, suspension and slaves from sysfs; a device without a size has no table', async () => {
    await put('sys/block/dm-4/dev', '253:4\n');
    await put('sys/block/dm-4/size', '2093056\n');
    await put('sys/block/dm-4/dm/name', 'cr_live\n');
    await put('sys/block/dm-4/dm/suspended', '1\n');
    await link('sys/block/dm-4/slaves/dm-3', '../../dm-3');
    await put('sys/block/dm-6/dev', '253:6\n');
    await put('sys/block/dm-6/size', '0\n');
    await put('sys/block/dm-6/dm/name', 'cr_half\n');
    await put('sys/block/dm-6/dm/suspended', '0\n');
    expect(await dm().mappingState({ name: 'cr_live', dmName: 'dm-4', majMin: '253:4', uuid: '' })).toEqual({ hasTable: true, suspended: true, slaves: ['dm-3'] });
    expect(await dm().mappingState({ name: 'cr_half', dmName: 'dm-6', majMin: '253:6', uuid: '' })).toEqual({ hasTable: false, suspended: false, slaves: [] });
  });

  it('removes a half-made mapping with dmsetup remove, and names the failure', async () => {
    const runner = new FakeRunner().expect({ file: 'dmsetup', args: ['remove', '--', 'cr_half'], reply: { exitCode: 0 } });
    await dm(runner).removeHalfMade('cr_half');
    expect(runner.calls).toHaveLength(1);
    const failing = new FakeRunner().expect({ file: 'dmsetup', args: ['remove', '--', 'cr_half'], reply: { exitCode: 1, stderr: 'device-mapper: remove ioctl on cr_half failed: Device or resource busy\n' } });
    await expect(dm(failing).removeHalfMade('cr_half')).rejects.toThrow(/dmsetup remove of the half-made mapping failed: device-mapper: remove ioctl on cr_half failed: Device or resource busy/);
  });
});
