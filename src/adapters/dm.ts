// Device-mapper, read-mostly and sysfs first: before READY=1 the daemon sees volumes only through the kernel
// (never libvirt). Only `dmsetup` is spawned (open count, which sysfs does not expose).
// Scans of /sys and /proc race with devices and processes going away: ENOENT/ESRCH/EACCES mean "skip".
import { readdir, readFile, readlink, realpath } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CryptvmError } from '../errors.js';
import { SpawnError, type Runner } from './exec.js';

export interface Mapping {
  name: string;
  /** Kernel name, e.g. 'dm-3'. */
  dmName: string;
  majMin: string;
  /** dm UUID, e.g. 'CRYPT-LUKS2-<hex>-<name>'; '' when the mapping has none. */
  uuid: string;
}

export interface Roots {
  sysRoot?: string;
  procRoot?: string;
  devRoot?: string;
}

const read = (p: string): Promise<string | undefined> => readFile(p, 'utf8').then((s) => s.trim(), () => undefined);
const list = (p: string): Promise<string[]> => readdir(p).catch(() => []);

/** dm UUID that cryptsetup gives a LUKS mapping: CRYPT-LUKS<v>-<uuid without dashes>-<name>. */
export function expectedDmUuid(luksUuid: string, name: string, luksVersion: 1 | 2 = 2): string {
  return `CRYPT-LUKS${luksVersion}-${luksUuid.replaceAll('-', '')}-${name}`;
}

/** True when dmUuid is the LUKS1 or LUKS2 mapping of this LUKS UUID under this name (hex compared case-blind). */
export function isMappingOf(dmUuid: string, luksUuid: string, name: string): boolean {
  const m = /^CRYPT-LUKS[12]-([0-9a-fA-F]+)-(.*)$/.exec(dmUuid);
  return !!m && m[1]?.toLowerCase() === luksUuid.replaceAll('-', '').toLowerCase() && m[2] === name;
}

/** At most this many processes are reported: enough to tell the admin, bounded for a busy host. */
const MAX_PROCESSES = 16;

/** Processes with an fd (or cwd) whose link target satisfies `match`, as 'comm (pid N)'. */
export async function processesUsing(procRoot: string, match: (target: string) => boolean): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await list(procRoot)) {
    if (!/^\d+$/.test(pid)) continue;
    const base = join(procRoot, pid);
    const links = [join(base, 'cwd'), ...(await list(join(base, 'fd'))).map((fd) => join(base, 'fd', fd))];
    for (const link of links) {
      const target = await readlink(link).catch(() => undefined);
      if (target === undefined || !match(target)) continue;
      found.push(`${(await read(join(base, 'comm'))) ?? '?'} (pid ${pid})`);
      break;
    }
    if (found.length >= MAX_PROCESSES) break;
  }
  return found;
}

export class DeviceMapper {
  readonly expectedDmUuid = expectedDmUuid;
  readonly isMappingOf = isMappingOf;
  private readonly sys: string;
  private readonly proc: string;
  private readonly dev: string;

  constructor(roots: Roots = {}, private readonly runner?: Runner) {
    this.sys = roots.sysRoot ?? '/sys';
    this.proc = roots.procRoot ?? '/proc';
    this.dev = roots.devRoot ?? '/dev';
  }

  /** Every dm device the kernel has (crypt or not). */
  async list(): Promise<Mapping[]> {
    const out: Mapping[] = [];
    for (const dmName of (await list(join(this.sys, 'block'))).filter((n) => n.startsWith('dm-'))) {
      const dir = join(this.sys, 'block', dmName);
      const name = await read(join(dir, 'dm', 'name'));
      const majMin = await read(join(dir, 'dev'));
      if (name === undefined || majMin === undefined) continue; // went away while scanning
      out.push({ name, dmName, majMin, uuid: (await read(join(dir, 'dm', 'uuid'))) ?? '' });
    }
    return out;
  }

  async findMapping(name: string): Promise<Mapping | null> {
    return (await this.list()).find((m) => m.name === name) ?? null;
  }

  /** How many times the mapping is open (dmsetup); null when it does not exist. */
  async openCount(name: string): Promise<number | null> {
    if (!this.runner) throw new Error('DeviceMapper.openCount needs a Runner');
    const args = ['info', '-c', '--noheadings', '-o', 'open', '--', name];
    let r;
    try {
      r = await this.runner.run('dmsetup', args, { timeoutMs: 30_000 });
    } catch (e) {
      throw new CryptvmError('Failed', `volume ${name}: cannot run dmsetup: ${String(e)}`, { volume: name, command: e instanceof SpawnError ? e.command : undefined, cause: e });
    }
    if (r.exitCode === 0 && /^\s*\d+\s*$/.test(r.stdout)) return Number(r.stdout.trim());
    if (/Device does not exist/i.test(r.stderr)) return null;
    const line = r.stderr.split('\n').find((l) => l.trim()) ?? `exit code ${r.exitCode}`;
    throw new CryptvmError('Failed', `volume ${name}: dmsetup info failed: ${line} — check device-mapper (dmsetup ls)`, { volume: name, command: r.command, exitCode: r.exitCode, cause: r });
  }

  /**
   * What the kernel has for a mapping (sysfs): a live table (a size), suspended or not, and the block devices
   * it sits on (slaves: 'dm-3', 'sdb1'). A dm-crypt device without a table is half-made: a cryptsetup killed
   * between creating the device and loading its table.
   */
  async mappingState(m: Mapping): Promise<{ hasTable: boolean; suspended: boolean; slaves: string[] }> {
    const dir = join(this.sys, 'block', m.dmName);
    const size = Number((await read(join(dir, 'size'))) ?? '0');
    const suspended = (await read(join(dir, 'dm', 'suspended'))) === '1';
    return { hasTable: size > 0, suspended, slaves: await list(join(dir, 'slaves')) };
  }

  /** `dmsetup remove NAME`: only for a half-made mapping (no table: it holds no data and no key). */
  async removeHalfMade(name: string): Promise<void> {
    if (!this.runner) throw new Error('DeviceMapper.removeHalfMade needs a Runner');
    const r = await this.runner.run('dmsetup', ['remove', '--', name], { timeoutMs: 30_000 });
    if (r.exitCode !== 0) {
      const line = r.stderr.split('\n').find((l) => l.trim()) ?? `exit code ${r.exitCode}`;
      throw new CryptvmError('Failed', `volume ${name}: dmsetup remove of the half-made mapping failed: ${line} — remove it by hand (dmsetup remove ${name})`, { volume: name, command: r.command, exitCode: r.exitCode, cause: r });
    }
  }

  /**
   * Mappings (or md arrays, …) stacked on a block device, e.g. ['mapping cr_old (dm-5)']: who holds a device
   * that cryptsetup says is in use. Empty when nothing is stacked (a mount or a process may still hold it).
   */
  async holdersOfDevice(device: string): Promise<string[]> {
    const real = await realpath(device.startsWith('/dev/') ? join(this.dev, device.slice(5)) : device).catch(() => device);
    const out: string[] = [];
    for (const h of await list(join(this.sys, 'class', 'block', basename(real), 'holders'))) {
      const hname = await read(join(this.sys, 'block', h, 'dm', 'name'));
      out.push(hname ? `mapping ${hname} (${h})` : h);
    }
    return out;
  }

  /** Who keeps the mapping busy: stacked devices ('mapping X (dm-5)', 'md0') and processes ('qemu-system-x86 (pid 1234)'). */
  async holders(name: string): Promise<string[]> {
    const m = await this.findMapping(name);
    if (!m) return [];
    const out: string[] = [];
    for (const h of await list(join(this.sys, 'block', m.dmName, 'holders'))) {
      const hname = await read(join(this.sys, 'block', h, 'dm', 'name'));
      out.push(hname ? `mapping ${hname} (${h})` : h);
    }
    const paths = new Set([join(this.dev, m.dmName), join(this.dev, 'mapper', name)]);
    return out.concat(await processesUsing(this.proc, (t) => paths.has(t)));
  }
}
