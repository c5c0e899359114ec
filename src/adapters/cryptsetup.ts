// The only place that runs cryptsetup. Keys are Buffers that go to the child on stdin (`--key-file=-`,
// byte-exact: a trailing newline is part of the key); the caller owns and wipes them.
// Outcomes the daemon acts on (bad passphrase, not active, busy) are results; everything else throws a
// CryptvmError carrying the escaped command, the exit code and the cause — never the key.
import type { Runner, RunOptions, RunResult } from './exec.js';
import { runError, spawnFailure, type Subject } from './cryptsetup/errors.js';
import { parseLuks1Dump, parseLuks2Json, unlockCost, type LuksMetadata } from './cryptsetup/metadata.js';
import { parseStatus, type MappingStatus } from './cryptsetup/status.js';
import { CryptvmError } from '../errors.js';

export type { LuksMetadata, Keyslot, Token, PbkdfType } from './cryptsetup/metadata.js';
export type { MappingStatus } from './cryptsetup/status.js';

/** A PBKDF run can take ~10 s under emulation, and a wrong key costs one run per keyslot. */
export const KEY_TIMEOUT_MS = 120_000;
export const TIMEOUT_MS = 30_000;

export interface KeyOptions {
  header?: string;
  /** Try only this keyslot (a remembered hint saves one PBKDF run per other slot). */
  keySlot?: number;
  signal?: AbortSignal;
  /** Volume name for error messages. */
  volume?: string;
}

export interface OpenOptions extends KeyOptions {
  discard?: boolean;
  readonly?: boolean;
}

export interface OpenResult {
  result: 'opened' | 'bad-passphrase';
  /** The keyslot that matched, when cryptsetup said so. */
  keySlot?: number;
}

export class Cryptsetup {
  readonly unlockCost = unlockCost;
  private readonly bin: string;

  constructor(private readonly runner: Runner, opts: { bin?: string } = {}) {
    this.bin = opts.bin ?? 'cryptsetup';
  }

  async isLuks(device: string, header?: string): Promise<boolean> {
    const r = await this.run({ what: `isLuks ${device}`, device }, ['isLuks', ...hdr(header), '--', device]);
    if (r.exitCode === 0) return true;
    if (r.exitCode === 1 && !/Usage:|Unknown action/.test(r.stderr)) return false;
    throw runError({ what: `isLuks ${device}`, device }, r);
  }

  async luksUuid(device: string, header?: string): Promise<string> {
    const subject = { what: `luksUUID ${device}`, device, silentExit1IsNotLuks: true };
    const r = await this.run(subject, ['luksUUID', ...hdr(header), '--', device]);
    if (r.exitCode !== 0) throw runError(subject, r);
    return r.stdout.trim();
  }

  async metadata(device: string, header?: string): Promise<LuksMetadata> {
    const subject = { what: `luksDump ${device}`, device };
    const r = await this.run(subject, ['luksDump', '--dump-json-metadata', ...hdr(header), '--', device]);
    if (r.exitCode === 0) return this.parse(subject, r, () => parseLuks2Json(r.stdout));
    if (!/not supported for this device type/.test(r.stderr)) throw runError(subject, r);
    // LUKS1: no JSON; the text dump gives the slots and their iterations.
    const text = await this.run(subject, ['luksDump', ...hdr(header), '--', device]);
    if (text.exitCode !== 0) throw runError(subject, text);
    return this.parse(subject, text, () => parseLuks1Dump(text.stdout));
  }

  async testPassphrase(device: string, key: Buffer, opts: KeyOptions = {}): Promise<'ok' | 'bad-passphrase'> {
    return (await this.testPassphraseDetailed(device, key, opts)).result === 'opened' ? 'ok' : 'bad-passphrase';
  }

  /** As testPassphrase, plus the keyslot that matched (to remember as a hint). */
  async testPassphraseDetailed(device: string, key: Buffer, opts: KeyOptions = {}): Promise<OpenResult> {
    const args = ['open', '--test-passphrase', '-v', ...hdr(opts.header), ...slot(opts.keySlot), '--key-file=-', '--', device];
    return this.withKey({ what: `open --test-passphrase ${device}`, device, volume: opts.volume }, args, key, opts);
  }

  async open(device: string, name: string, key: Buffer, opts: OpenOptions = {}): Promise<'opened' | 'bad-passphrase'> {
    return (await this.openDetailed(device, name, key, opts)).result;
  }

  /** As open, plus the keyslot that matched (cryptsetup -v says "Key slot N unlocked."). */
  async openDetailed(device: string, name: string, key: Buffer, opts: OpenOptions = {}): Promise<OpenResult> {
    const args = ['open', '--type', 'luks'];
    if (opts.discard) args.push('--allow-discards');
    if (opts.readonly) args.push('--readonly');
    args.push(...hdr(opts.header), ...slot(opts.keySlot), '-v', '--key-file=-', '--', device, name);
    return this.withKey({ what: `open ${device} as ${name}`, device, volume: opts.volume ?? name }, args, key, opts);
  }

  /** "Already inactive" is success, as in systemd-cryptsetup; "busy" is a result the caller retries. */
  async close(name: string): Promise<'closed' | 'not-active' | 'busy'> {
    const subject = { what: `close ${name}`, volume: name };
    const r = await this.run(subject, ['close', '--', name]);
    if (r.exitCode === 0) return 'closed';
    if (r.exitCode === 4 && /is not active/.test(r.stderr)) return 'not-active';
    if (r.exitCode === 5 && /busy|in use/i.test(r.stderr)) return 'busy';
    throw runError(subject, r);
  }

  async status(name: string): Promise<MappingStatus | null> {
    const subject = { what: `status ${name}`, volume: name };
    const r = await this.run(subject, ['status', '--', name]);
    if (r.exitCode === 4 && / is inactive/.test(r.stdout)) return null;
    if (r.exitCode !== 0) throw runError(subject, r);
    return this.parse(subject, r, () => parseStatus(name, r.stdout));
  }

  private async withKey(subject: Subject, args: string[], key: Buffer, opts: KeyOptions): Promise<OpenResult> {
    const r = await this.run(subject, args, { input: key, secret: true, timeoutMs: KEY_TIMEOUT_MS, signal: opts.signal });
    if (r.exitCode === 2) return { result: 'bad-passphrase' };
    if (r.exitCode !== 0) throw runError(subject, r, key);
    const m = /Key slot (\d+) unlocked/.exec(r.stdout + r.stderr);
    return m ? { result: 'opened', keySlot: Number(m[1]) } : { result: 'opened' };
  }

  private async run(subject: Subject, args: string[], options: RunOptions = {}): Promise<RunResult> {
    try {
      return await this.runner.run(this.bin, args, { timeoutMs: TIMEOUT_MS, ...options });
    } catch (e) {
      throw spawnFailure(subject, e);
    }
  }

  private parse<T>(subject: Subject, r: RunResult, fn: () => T): T {
    try {
      return fn();
    } catch (cause) {
      throw new CryptvmError('Failed', `cryptsetup ${subject.what}: cannot parse its output (${String(cause)}) — is this cryptsetup ≥ 2.1?`, {
        volume: subject.volume,
        command: r.command,
        exitCode: r.exitCode,
        cause,
      });
    }
  }
}

const hdr = (header?: string): string[] => (header ? ['--header', header] : []);
const slot = (n?: number): string[] => (n === undefined ? [] : ['--key-slot', String(n)]);
