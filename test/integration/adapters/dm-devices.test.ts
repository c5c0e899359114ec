// DeviceMapper and Devices against the real /sys, /proc, /dev and dmsetup of this machine
// (which has no device-mapper: the honest answers are "no mappings" and a clear dmsetup error).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open, mkdtemp, rm, type FileHandle } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessRunner } from '../../../src/adapters/exec.js';
import { DeviceMapper, processesUsing } from '../../../src/adapters/dm.js';
import { Devices } from '../../../src/adapters/devices.js';

const hasDmsetup = (() => {
  try {
    execFileSync('dmsetup', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasDmsetup) console.warn('SKIPPED: dmsetup missing (apt install dmsetup)');

describe('DeviceMapper / Devices on the real system', () => {
  let dir: string;
  let fh: FileHandle;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cryptvm-proc-'));
    fh = await open(join(dir, 'held'), 'w');
  });
  afterAll(async () => {
    await fh.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('finds every real dm device by name (none when the kernel has no dm)', async () => {
    const dm = new DeviceMapper();
    const all = await dm.list();
    for (const m of all) expect(await dm.findMapping(m.name)).toEqual(m);
    expect(await dm.findMapping('cryptvm-no-such-mapping')).toBeNull();
  });

  it('scans the real /proc and finds this process holding a file', async () => {
    const users = await processesUsing('/proc', (t) => t === join(dir, 'held'));
    expect(users.some((u) => u.endsWith(`(pid ${process.pid})`))).toBe(true);
  });

  it.skipIf(!hasDmsetup)('openCount of a missing mapping is null with dm, an error naming dmsetup without', async () => {
    const dm = new DeviceMapper({}, new ProcessRunner());
    const res = await dm.openCount('cryptvm-no-such-mapping').catch((e: unknown) => e);
    if (res === null) return; // a kernel with device-mapper: the mapping just does not exist
    expect(res).toMatchObject({ code: 'Failed', command: 'dmsetup info -c --noheadings -o open -- cryptvm-no-such-mapping' });
  });

  it('resolves a real /dev path and reports a missing UUID as absent', async () => {
    const devices = new Devices();
    expect(await devices.resolve('/dev/null')).toBe('/dev/null');
    expect(await devices.resolve('UUID=00000000-cryptvm-none')).toBeUndefined();
  });
});
