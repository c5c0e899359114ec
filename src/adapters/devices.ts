// Resolves a volume's `device` spec (a /dev path, UUID=, PARTUUID=, LABEL=, PARTLABEL=) through udev's
// /dev/disk/by-* links, and waits for it to appear at boot. No programs are run.
import { open, realpath } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CryptvmError } from '../errors.js';
import { formatDuration } from '../config/duration.js';
import { pause, systemClock, type Clock } from '../clock.js';

const BY: Record<string, string> = { UUID: 'by-uuid', PARTUUID: 'by-partuuid', LABEL: 'by-label', PARTLABEL: 'by-partlabel' };

/** udev's link-name encoding (blkid_encode_string): keep [A-Za-z0-9#+-.:=@_] and UTF-8, \xHH the rest. */
export function udevEscape(value: string): string {
  let out = '';
  for (const ch of value) {
    if (/^[A-Za-z0-9#+\-.:=@_]$/.test(ch) || ch.codePointAt(0)! > 0x7f) out += ch;
    else out += `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
  }
  return out;
}


export class Devices {
  private readonly dev: string;
  private readonly clock: Clock;

  /** devRoot: where /dev is (tests); clock: the one waitFor polls on (default: the system's). */
  constructor(roots: { devRoot?: string; clock?: Clock } = {}) {
    this.dev = roots.devRoot ?? '/dev';
    this.clock = roots.clock ?? systemClock;
  }

  /** The path udev would give the spec (before resolving symlinks); throws InvalidArgs on a malformed spec. */
  linkPath(spec: string): string {
    const m = /^([A-Z]+)=(.*)$/.exec(spec);
    if (m?.[1] && m[2] !== undefined && BY[m[1]]) {
      const value = m[2].replace(/^"(.*)"$/, '$1'); // fstab style UUID="…"
      if (value === '') throw new CryptvmError('InvalidArgs', `device ${spec}: empty ${m[1]}= value — give the value blkid prints`);
      return join(this.dev, 'disk', BY[m[1]]!, m[1].endsWith('LABEL') ? udevEscape(value) : value);
    }
    if (spec.startsWith('/dev/')) return join(this.dev, spec.slice('/dev/'.length));
    throw new CryptvmError('InvalidArgs', `device ${spec}: not a /dev path, UUID=, PARTUUID=, LABEL= or PARTLABEL= — fix the device setting`);
  }

  /** Reads the first 4 KiB (where a LUKS header starts): undefined when that works, else the errno code ('EIO'). */
  async readError(path: string): Promise<string | undefined> {
    let fh;
    try {
      fh = await open(path, 'r');
      await fh.read(Buffer.alloc(4096), 0, 4096, 0);
      return undefined;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code ?? 'EIO';
    } finally {
      await fh?.close().catch(() => undefined);
    }
  }

  /** The real device path, or undefined while it is absent. */
  async resolve(spec: string): Promise<string | undefined> {
    const link = this.linkPath(spec);
    const found = await realpath(link).catch(() => undefined);
    if (found || !/^(UUID|PARTUUID)=/.test(spec)) return found;
    // blkid prints most UUIDs lower case; accept a config that has them upper case.
    const lower = join(dirname(link), basename(link).toLowerCase());
    return lower === link ? undefined : realpath(lower).catch(() => undefined);
  }

  /** Polls (250 ms, doubling up to 1 s, on the clock) until the device exists. */
  async waitFor(spec: string, timeoutMs: number, signal?: AbortSignal, volume?: string): Promise<string> {
    const who = volume ? `volume ${volume}: ` : '';
    const deadline = this.clock.now() + timeoutMs;
    for (let delay = 250; ; delay = Math.min(delay * 2, 1000)) {
      if (signal?.aborted) throw new CryptvmError('Cancelled', `${who}stopped waiting for device ${spec}`, { volume, cause: signal.reason });
      const path = await this.resolve(spec);
      if (path) return path;
      const left = deadline - this.clock.now();
      if (left <= 0) {
        throw new CryptvmError(
          'DeviceNotFound',
          `${who}device ${spec} did not appear within ${formatDuration(timeoutMs)} — check the device exists (lsblk, blkid) or raise device_timeout`,
          { volume },
        );
      }
      await pause(this.clock, Math.min(delay, left), signal);
    }
  }
}
