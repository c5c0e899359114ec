// Filesystems on opened mappings (qcow2 images on an encrypted ext4). State comes from
// /proc/self/mountinfo (no spawn; synchronous: a small kernel file); mount/umount run through the Runner.
import { existsSync, lstatSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CryptvmError } from '../errors.js';
import { SpawnError, type Runner, type RunResult } from './exec.js';
import { processesUsing } from './dm.js';
import { symlinkOn, untrustedDir, untrustedParent, type PathProblem } from '../trusted-path.js';

export interface MountEntry {
  mountPoint: string;
  source: string;
  fsType: string;
  options: string;
}

/** mountinfo escapes space, tab, newline and backslash as \040 \011 \012 \134. */
export const decodeMountField = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue` (proc(5)). */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (f.length < 10 || sep < 0) continue;
    out.push({ mountPoint: decodeMountField(f[4]!), options: f[5]!, fsType: f[sep + 1]!, source: decodeMountField(f[sep + 2]!) });
  }
  return out;
}

const norm = (p: string): string => resolve(p);

export function systemdMountArgs(source: string, where: string, opts: { options?: string; type?: string }, before: string): string[] {
  return [
    '--no-ask-password',
    '--collect',
    `--property=Before=${before}`,
    ...(opts.type ? [`--type=${opts.type}`] : []),
    ...(opts.options ? [`--options=${opts.options}`] : []),
    '--',
    source,
    where,
  ];
}
const TIMEOUT_MS = 30_000;

export interface MountsOptions {
  procRoot?: string;
  /**
   * Under systemd, mount through PID 1 (`systemd-mount`) as a transient mount unit ordered Before= this unit.
   * A plain mount(8) becomes a mount unit with no ordering, which systemd tries to unmount at the very start of
   * shutdown, while the guests whose images live there still run ("Failed unmounting …"). Ordered before
   * cryptvm.service, it is stopped only after the daemon has unmounted it itself (with umount(8), so that
   * stop job never waits on us).
   */
  systemdBefore?: string;
  /**
   * With systemdBefore: unmount by stopping the mount unit through PID 1 (systemctl stop, ignoring ordering),
   * so the filesystem leaves the host's mount namespace even though the daemon runs in its own
   * (ProtectSystem=strict); the unmount propagates into the daemon's namespace.
   */
  stopUnit?: (unit: string) => Promise<RunResult>;
}

/** systemd's unit name for a mount point (`systemd-escape --path --suffix=mount`). */
export function mountUnitName(where: string): string {
  const trimmed = resolve(where).replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return '-.mount';
  // As systemd's unit_name_path_escape: "/" → "-", a leading "." and every byte outside [A-Za-z0-9:_.] → \xHH.
  const escaped = [...Buffer.from(trimmed, 'utf8')]
    .map((b, i) => {
      const c = String.fromCharCode(b);
      if (c === '/') return '-';
      return /[A-Za-z0-9:_.]/.test(c) && !(i === 0 && c === '.') ? c : `\\x${b.toString(16).padStart(2, '0')}`;
    })
    .join('');
  return `${escaped}.mount`;
}

export class Mounts {
  private readonly proc: string;
  private readonly systemdBefore: string | undefined;
  private readonly stopUnit: MountsOptions['stopUnit'];

  constructor(roots: MountsOptions = {}, private readonly runner?: Runner) {
    this.proc = roots.procRoot ?? '/proc';
    this.systemdBefore = roots.systemdBefore;
    this.stopUnit = roots.stopUnit;
  }

  entries(): MountEntry[] {
    return parseMountinfo(readFileSync(join(this.proc, 'self', 'mountinfo'), 'utf8'));
  }

  /** The source of the topmost mount at `where` (later lines are mounted on top), or undefined. */
  mountedSource(where: string): string | undefined {
    const target = norm(where);
    return this.entries().filter((e) => e.mountPoint === target).pop()?.source;
  }

  isMounted(where: string): boolean {
    return this.mountedSource(where) !== undefined;
  }

  /**
   * Creates `where` (mkdir -p, 0755) and mounts; a mount of the same source already there is success.
   * Refuses a mount point reached through a symbolic link, or below a directory someone but root could change:
   * they could make the filesystem land somewhere else (a symlink into /etc), with root doing the mount.
   */
  async mount(source: string, where: string, opts: { options?: string; type?: string } = {}): Promise<'mounted' | 'already-mounted'> {
    const current = this.mountedSource(where);
    if (current === source) return 'already-mounted';
    if (current !== undefined) {
      throw new CryptvmError('MappingConflict', `${where}: ${current} is already mounted there, not ${source} — unmount it or change mount.where`);
    }
    checkMountPoint(where);
    // Under systemd, PID 1 creates a missing mount point itself (0755): the daemon's own view of the file
    // system is read-only (ProtectSystem=strict).
    if (!this.systemdBefore || existsSync(where)) {
      try {
        mkdirSync(where, { recursive: true, mode: 0o755 });
      } catch (cause) {
        throw new CryptvmError('Failed', `cannot create mount point ${where}: ${String(cause)} — check the parent directory`, { cause });
      }
      checkMountPoint(where, true);
    }
    const r = this.systemdBefore
      ? await this.run('systemd-mount', systemdMountArgs(source, where, opts, this.systemdBefore), `mount ${source} on ${where}`)
      : await this.run('mount', [...(opts.type ? ['-t', opts.type] : []), ...(opts.options ? ['-o', opts.options] : []), '--', source, where], `mount ${source} on ${where}`);
    if (r.exitCode !== 0) throw failure(`mount ${source} on ${where}`, r, 'check the filesystem (fsck), type and options');
    return 'mounted';
  }

  async unmount(where: string): Promise<'unmounted' | 'not-mounted' | 'busy'> {
    if (!this.isMounted(where)) return 'not-mounted';
    if (this.systemdBefore && this.stopUnit) return this.unmountUnit(where, this.stopUnit);
    const r = await this.run('umount', ['--', where], `unmount ${where}`);
    if (r.exitCode === 0) return 'unmounted';
    if (/target is busy|device is busy/i.test(r.stderr)) return 'busy';
    if (/not mounted/i.test(r.stderr)) return 'not-mounted';
    throw failure(`unmount ${where}`, r, 'see umount(8)');
  }

  /** The mount unit's stop job fails when umount does; still mounted afterwards means busy (the caller retries). */
  private async unmountUnit(where: string, stop: (unit: string) => Promise<RunResult>): Promise<'unmounted' | 'not-mounted' | 'busy'> {
    const unit = mountUnitName(where);
    let r: RunResult;
    try {
      r = await stop(unit);
    } catch (e) {
      throw new CryptvmError('Failed', `unmount ${where}: ${String(e instanceof Error ? e.message : e)}`, { command: e instanceof SpawnError ? e.command : undefined, cause: e });
    }
    if (!this.isMounted(where)) return 'unmounted';
    if (r.exitCode !== 0) return 'busy';
    throw failure(`unmount ${where} (systemctl stop ${unit})`, r, `the filesystem is not managed as ${unit}; unmount it by hand (systemd-mount --umount ${where})`);
  }

  /** Processes with a file or their cwd under `where` (why an unmount is busy), as 'comm (pid N)'. */
  usersOf(where: string): Promise<string[]> {
    const dir = norm(where);
    return processesUsing(this.proc, (t) => t === dir || t.startsWith(`${dir}/`));
  }

  private async run(file: string, args: string[], what: string): Promise<RunResult> {
    if (!this.runner) throw new Error('Mounts needs a Runner to mount or unmount');
    try {
      return await this.runner.run(file, args, { timeoutMs: TIMEOUT_MS });
    } catch (e) {
      throw new CryptvmError(e instanceof SpawnError && e.reason === 'timeout' ? 'Timeout' : 'Failed', `${what}: ${String(e instanceof Error ? e.message : e)}`, {
        command: e instanceof SpawnError ? e.command : undefined,
        cause: e,
      });
    }
  }
}

function failure(what: string, r: RunResult, fix: string): CryptvmError {
  const line = r.stderr.split('\n').find((l) => l.trim()) ?? `exit code ${r.exitCode}`;
  return new CryptvmError('Failed', `${what} failed: ${line.trim()} — ${fix}`, { command: r.command, exitCode: r.exitCode, cause: r });
}

function checkMountPoint(where: string, exists = false): void {
  const refuse = (p: PathProblem): never => {
    throw new CryptvmError('Failed', `mount point ${where} is not safe: ${p.message} — ${p.fix}`);
  };
  const link = symlinkOn(where);
  if (link) refuse({ message: `${link} is a symbolic link`, fix: 'set mount.where to the real path (realpath)' });
  const parent = untrustedParent(where);
  if (parent) refuse(parent);
  if (exists) {
    const self = untrustedDir(where, lstatSync(where));
    if (self) refuse(self);
  }
}
