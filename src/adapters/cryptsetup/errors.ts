// Maps a failed cryptsetup run to one CryptvmError: the kind (from the exit code, refined by stderr), a message
// naming the device/mapping and a fix, the escaped command, the exit code and the run as `cause`.
// Exit codes (cryptsetup(8)): 1 bad parameters, 2 bad passphrase, 3 out of memory, 4 wrong device,
// 5 device already exists or busy.
import { CryptvmError, type ErrorCode } from '../../errors.js';
import { SpawnError, type RunResult } from '../exec.js';

export interface Subject {
  /** What was attempted, e.g. "open /dev/vg/lv as cr_x". */
  what: string;
  device?: string;
  volume?: string;
  /** luksUUID exits 1 without a word on a non-LUKS device. */
  silentExit1IsNotLuks?: boolean;
}

/** Lines cryptsetup prints that never explain a failure. */
const NOISE = [/^No usable token is available\.?$/, /^Command failed with code/, /^Usage:/, /^\s/];

/** The first stderr line that says something. */
export function firstMeaningfulLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trimEnd()).filter((l) => l.length > 0);
  return lines.find((l) => !NOISE.some((re) => re.test(l))) ?? lines[0] ?? '';
}

/** Safety net: cryptsetup never echoes a key, but if its output ever did, it must not reach an error. */
function mentionsKey(r: RunResult, key?: Buffer): boolean {
  if (!key) return false;
  let end = key.length;
  while (end > 0 && (key[end - 1] === 0x0a || key[end - 1] === 0x0d)) end--;
  if (end < 4) return false; // too short to tell from ordinary text
  return Buffer.from(r.stderr + r.stdout).includes(key.subarray(0, end));
}

function classify(exitCode: number, stderr: string, opIsOpen: boolean, silentNotLuks = false): { code: ErrorCode; fix: string } {
  const silent = /^(Command failed with code|$)/.test(firstMeaningfulLine(stderr));
  if (/not a valid LUKS device/i.test(stderr) || (silentNotLuks && exitCode === 1 && silent))
    return { code: 'NotLuks', fix: 'check the device path (blkid), and dmesg for I/O errors: a blank disk and an unreadable header look the same' };
  if (/device-mapper/i.test(stderr))
    return { code: 'Failed', fix: 'the kernel has no usable device-mapper: load it (modprobe dm_mod) and check /dev/mapper/control' };
  switch (exitCode) {
    case 2:
      return { code: 'BadPassphrase', fix: 'no keyslot accepts this key; try another key source' };
    case 3:
      return { code: 'Failed', fix: 'out of memory for the keyslot PBKDF: lower concurrent unlocks or free memory' };
    case 4:
      return { code: 'WrongDevice', fix: 'check the device exists and is readable (lsblk, blkid)' };
    case 5:
      if (/already exists/i.test(stderr))
        return { code: 'MappingConflict', fix: 'a mapping with this name already exists: close it or use another name (dmsetup ls)' };
      if (opIsOpen)
        return { code: 'MappingConflict', fix: 'the device is already mapped or mounted under another name (lsblk)' };
      return { code: 'Busy', fix: 'stop what holds it (cryptvm status shows holders) and retry' };
    default:
      return { code: 'Failed', fix: 'see the cryptsetup message; run the command by hand with --debug' };
  }
}

export function runError(subject: Subject, r: RunResult, key?: Buffer): CryptvmError {
  const { code, fix } = classify(r.exitCode, r.stderr, subject.what.startsWith('open '), subject.silentExit1IsNotLuks);
  const leaked = mentionsKey(r, key);
  const detail = leaked ? '[output withheld: it contained the key]' : firstMeaningfulLine(r.stderr) || (code === 'NotLuks' ? 'not a LUKS device' : `exit code ${r.exitCode}`);
  const who = subject.volume ? `volume ${subject.volume}: ` : '';
  return new CryptvmError(code, `${who}cryptsetup ${subject.what} failed: ${detail} — ${fix}`, {
    volume: subject.volume,
    command: r.command,
    exitCode: r.exitCode,
    // The run result holds command, exit code and output only: the key went to stdin.
    cause: leaked ? { command: r.command, exitCode: r.exitCode } : r,
  });
}

/** A program that could not run, timed out or was aborted. */
export function spawnFailure(subject: Subject, e: unknown): CryptvmError {
  const who = subject.volume ? `volume ${subject.volume}: ` : '';
  if (!(e instanceof SpawnError)) return new CryptvmError('Failed', `${who}cryptsetup ${subject.what} failed: ${String(e)}`, { volume: subject.volume, cause: e });
  const code: ErrorCode = e.reason === 'timeout' ? 'Timeout' : e.reason === 'aborted' ? 'Cancelled' : 'Failed';
  const fix =
    e.reason === 'not-found' ? ' — install cryptsetup (apt install cryptsetup-bin)' :
    e.reason === 'timeout' ? ' — the PBKDF may need more time or memory; check load and the keyslot cost' : '';
  return new CryptvmError(code, `${who}cryptsetup ${subject.what}: ${e.message}${fix}`, {
    volume: subject.volume,
    command: e.command,
    cause: e,
  });
}
