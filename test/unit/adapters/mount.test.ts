// Mounts against a fake /proc (mountinfo + fd links) and a stateful fake Runner that edits that mountinfo.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, stat, symlink } from 'node:fs/promises';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mounts, parseMountinfo } from '../../../src/adapters/mount.js';
import { FakeRunner } from '../../helpers/fake-runner.js';

const SAMPLE = [
  '22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw',
  '36 22 253:3 / /var/lib/libvirt/images/my\\040secure rw,noatime shared:7 master:1 - ext4 /dev/mapper/cr_images rw',
  '37 22 0:5 / /mnt rw - tmpfs none rw',
  '38 37 0:6 / /mnt rw - tmpfs second rw',
  '',
].join('\n');

let root: string;
let info: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cryptvm-mnt-'));
  await mkdir(join(root, 'proc/self'), { recursive: true });
  info = join(root, 'proc/self/mountinfo');
  writeFileSync(info, SAMPLE);
  await mkdir(join(root, 'proc/42/fd'), { recursive: true });
  writeFileSync(join(root, 'proc/42/comm'), 'qemu-img\n');
  await symlink('/var/lib/libvirt/images/my secure/a.qcow2', join(root, 'proc/42/fd/9'));
  await symlink('/', join(root, 'proc/42/cwd'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** umount/mount applied to the fake mountinfo; anything else is unexpected. */
function model(busy = new Set<string>()): FakeRunner {
  return new FakeRunner((c) => {
    const where = c.args.at(-1)!;
    if (c.file === 'mount') {
      appendFileSync(info, `99 22 253:9 / ${where.replaceAll(' ', '\\040')} rw - ${c.args[1]} ${c.args.at(-2)} rw\n`);
      return {};
    }
    if (c.file !== 'umount') return undefined;
    if (busy.has(where)) return { exitCode: 32, stderr: `umount: ${where}: target is busy.\n` };
    const lines = readFileSync(info, 'utf8').split('\n');
    const i = lines.findLastIndex((l) => l.split(' ')[4] === where.replaceAll(' ', '\\040'));
    if (i < 0) return { exitCode: 32, stderr: `umount: ${where}: not mounted.\n` };
    lines.splice(i, 1);
    writeFileSync(info, lines.join('\n'));
    return {};
  });
}

describe('mountinfo', () => {
  it('parses fields, optional tags and octal escapes', () => {
    const e = parseMountinfo(SAMPLE);
    expect(e).toHaveLength(4);
    expect(e[1]).toEqual({ mountPoint: '/var/lib/libvirt/images/my secure', source: '/dev/mapper/cr_images', fsType: 'ext4', options: 'rw,noatime' });
  });
  it('answers isMounted / mountedSource, topmost mount wins, trailing slash ignored', () => {
    const m = new Mounts({ procRoot: join(root, 'proc') });
    expect(m.isMounted('/var/lib/libvirt/images/my secure/')).toBe(true);
    expect(m.mountedSource('/mnt')).toBe('second');
    expect(m.isMounted('/var/lib')).toBe(false);
  });
});

describe('Mounts.mount / unmount', () => {
  it('creates the mount point 0755 and runs mount with type and options', async () => {
    const r = model();
    const m = new Mounts({ procRoot: join(root, 'proc') }, r);
    const where = join(root, 'a b/deep');
    expect(await m.mount('/dev/mapper/cr_x', where, { type: 'ext4', options: 'noatime' })).toBe('mounted');
    expect(r.calls[0]?.args).toEqual(['-t', 'ext4', '-o', 'noatime', '--', '/dev/mapper/cr_x', where]);
    expect((await stat(where)).mode & 0o777).toBe(0o755);
    expect(await m.mount('/dev/mapper/cr_x', where)).toBe('already-mounted');
    await expect(m.mount('/dev/mapper/other', where)).rejects.toMatchObject({ code: 'MappingConflict' });
    expect(r.calls).toHaveLength(1);
    expect(await m.unmount(where)).toBe('unmounted');
    expect(await m.unmount(where)).toBe('not-mounted');
    expect(r.calls).toHaveLength(2); // the second unmount needed no umount
  });

  it('reports busy and names the users', async () => {
    const where = '/var/lib/libvirt/images/my secure';
    const m = new Mounts({ procRoot: join(root, 'proc') }, model(new Set([where])));
    expect(await m.unmount(where)).toBe('busy');
    expect(await m.usersOf(where)).toEqual(['qemu-img (pid 42)']);
    expect(await m.usersOf('/var/lib/libvirt/images/my')).toEqual([]);
  });

  it('a failed mount throws with command, exit code and the first stderr line', async () => {
    const r = new FakeRunner().expect({ file: 'mount', args: (a) => a.at(-2) === '/dev/mapper/bad', reply: { exitCode: 32, stderr: 'mount: /x: wrong fs type, bad option.\n' } });
    const m = new Mounts({ procRoot: join(root, 'proc') }, r);
    await expect(m.mount('/dev/mapper/bad', join(root, 'x'))).rejects.toMatchObject({
      code: 'Failed',
      exitCode: 32,
      command: `mount -- /dev/mapper/bad ${join(root, 'x')}`,
      message: expect.stringContaining('wrong fs type'),
    });
  });
});

describe('systemdMountArgs', () => {
  it('orders the transient mount unit before the daemon and passes type and options', async () => {
    const { systemdMountArgs } = await import('../../../src/adapters/mount.js');
    expect(systemdMountArgs('/dev/mapper/cr_images', '/var/lib/libvirt/images/secure', { options: 'noatime', type: 'ext4' }, 'cryptvm.service')).toEqual([
      '--no-ask-password',
      '--collect',
      '--property=Before=cryptvm.service',
      '--type=ext4',
      '--options=noatime',
      '--',
      '/dev/mapper/cr_images',
      '/var/lib/libvirt/images/secure',
    ]);
  });
});

describe('unmount through PID 1 (systemd)', () => {
  it('names the mount unit as systemd-escape --path --suffix=mount does', async () => {
    const { mountUnitName } = await import('../../../src/adapters/mount.js');
    const { spawnSync } = await import('node:child_process');
    for (const where of ['/var/lib/libvirt/images/secure', '/srv/my images/.hidden', '/srv/.x/a-b/ü', '/', '/a//b/']) {
      const expected = spawnSync('systemd-escape', ['--path', '--suffix=mount', where], { encoding: 'utf8' }).stdout.trim();
      expect(mountUnitName(where), where).toBe(expected);
    }
  });

  it('stops the mount unit (ignoring ordering) instead of running umount; still mounted after a failed stop is busy', async () => {
    const where = '/var/lib/libvirt/images/my secure';
    const mounted = new Set([where]);
    const stopped: string[] = [];
    let busy = true;
    const m = new Mounts(
      {
        procRoot: join(root, 'proc'),
        systemdBefore: 'cryptvm.service',
        stopUnit: async (unit) => {
          stopped.push(unit);
          if (busy) return { command: `systemctl stop ${unit}`, exitCode: 1, stdout: '', stderr: `Job for ${unit} failed.\n` };
          mounted.delete(where);
          return { command: `systemctl stop ${unit}`, exitCode: 0, stdout: '', stderr: '' };
        },
      },
      new FakeRunner(),
    );
    (m as unknown as { isMounted: (w: string) => boolean }).isMounted = (w) => mounted.has(w);
    expect(await m.unmount(where)).toBe('busy');
    busy = false;
    expect(await m.unmount(where)).toBe('unmounted');
    expect(await m.unmount(where)).toBe('not-mounted');
    expect(stopped).toEqual(['var-lib-libvirt-images-my\\x20secure.mount', 'var-lib-libvirt-images-my\\x20secure.mount']);
  });
});
