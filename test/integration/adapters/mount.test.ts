// Real /proc/self/mountinfo, real mount/umount of a tmpfs, a real process keeping it busy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessRunner } from '../../../src/adapters/exec.js';
import { Mounts } from '../../../src/adapters/mount.js';

const root = process.getuid?.() === 0;

describe('Mounts (real /proc)', () => {
  it('sees / mounted and a random directory not', () => {
    const m = new Mounts();
    expect(m.isMounted('/')).toBe(true);
    expect(m.mountedSource('/')).toBeTruthy();
    expect(m.isMounted('/definitely/not/mounted')).toBe(false);
  });
});

if (!root) console.warn('SKIPPED: mount/umount tests need root');

describe.skipIf(!root)('Mounts (real mount/umount of a tmpfs)', () => {
  const m = new Mounts({}, new ProcessRunner());
  let dir: string;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cryptvm-mount-'));
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    if (m.isMounted(join(dir, 'mnt'))) await m.unmount(join(dir, 'mnt'));
    await rm(dir, { recursive: true, force: true });
  });

  it('mounts, reports busy naming the holder, then unmounts', async () => {
    const where = join(dir, 'mnt');
    expect(await m.mount('cryptvm-test', where, { type: 'tmpfs', options: 'size=1m,mode=0700' })).toBe('mounted');
    expect(m.mountedSource(where)).toBe('cryptvm-test');
    expect(await m.mount('cryptvm-test', where, { type: 'tmpfs' })).toBe('already-mounted');

    child = spawn('sleep', ['30'], { cwd: where, stdio: 'ignore' });
    await new Promise((r) => child!.once('spawn', r));
    expect(await m.unmount(where)).toBe('busy');
    expect(await m.usersOf(where)).toContain(`sleep (pid ${child.pid})`);

    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    expect(await m.unmount(where)).toBe('unmounted');
    expect(m.isMounted(where)).toBe(false);
    expect(await m.unmount(where)).toBe('not-mounted');
  });
});
