// clevis, for volumes bound with `clevis luks bind` (Tang, TPM2, sss k-of-n). No protocol code of our own:
// the binding's JWE comes from the LUKS2 header (luksDump --dump-json-metadata, the token clevis wrote) and
// `clevis decrypt` turns it into the passphrase on stdout. We do not use `clevis luks pass`: it re-checks the
// passphrase with a hidden `cryptsetup open --test-passphrase` (one more PBKDF run, outside the daemon's
// unlock budget) and cannot read detached headers.
// `clevis decrypt` is a tree of shell scripts ending in curl (tang) or tpm2-tools; it runs under timeout(1),
// which kills the whole process group, so a black-holed tang leaves no curl behind.
import type { Runner } from './exec.js';
import { runError, spawnFailure, type Subject } from './cryptsetup/errors.js';
import { CryptvmError } from '../errors.js';
import { wipe } from '../secret.js';
import { parseBindings, type ClevisBinding } from './clevis-bindings.js';

export type { ClevisBinding } from './clevis-bindings.js';

export type Bindings = { luks2: true; bindings: ClevisBinding[] } | { luks2: false };

export type DecryptResult =
  | { ok: true; key: Buffer }
  /** network: clevis could not reach a server (curl failed); timeout: nothing answered in time. */
  | { ok: false; kind: 'network' | 'timeout' | 'failed'; reason: string };

export interface ClevisDecryptor {
  bindings(device: string, header?: string): Promise<Bindings>;
  decrypt(jwe: string, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<DecryptResult>;
}

const TIMED_OUT = 124;
const KILL_GRACE_S = 2;

export class Clevis implements ClevisDecryptor {
  constructor(
    private readonly runner: Runner,
    private readonly bins: { cryptsetup?: string; clevis?: string; timeout?: string } = {},
  ) {}

  async bindings(device: string, header?: string): Promise<Bindings> {
    const subject: Subject = { what: `luksDump ${device}`, device };
    const args = ['luksDump', '--dump-json-metadata', ...(header ? ['--header', header] : []), '--', device];
    let r;
    try {
      r = await this.runner.run(this.bins.cryptsetup ?? 'cryptsetup', args, { timeoutMs: 30_000 });
    } catch (e) {
      throw spawnFailure(subject, e);
    }
    if (r.exitCode !== 0 && /not supported for this device type/.test(r.stderr)) return { luks2: false };
    if (r.exitCode !== 0) throw runError(subject, r);
    try {
      return { luks2: true, bindings: parseBindings(r.stdout) };
    } catch (cause) {
      throw new CryptvmError('Failed', `cannot read the clevis bindings of ${device}: ${String(cause)}`, { command: r.command, cause });
    }
  }

  async decrypt(jwe: string, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<DecryptResult> {
    const seconds = Math.max(0.1, opts.timeoutMs / 1000).toFixed(1);
    const args = ['-k', String(KILL_GRACE_S), seconds, this.bins.clevis ?? 'clevis', 'decrypt'];
    let r;
    try {
      r = await this.runner.run(this.bins.timeout ?? 'timeout', args, {
        input: jwe,
        binaryStdout: true,
        secret: true,
        timeoutMs: opts.timeoutMs + (KILL_GRACE_S + 3) * 1000,
        signal: opts.signal,
      });
    } catch (e) {
      throw spawnFailure({ what: 'clevis decrypt' }, e);
    }
    const out = r.stdoutBytes ?? Buffer.alloc(0);
    // clevis prints the passphrase exactly (printf '%s'), no newline to strip.
    if (r.exitCode === 0 && out.length > 0) return { ok: true, key: out };
    wipe(out);
    if (r.exitCode === 127) {
      throw new CryptvmError('Failed', 'clevis is not installed — apt install clevis clevis-luks (and clevis-tpm2 for TPM2 pins)', { command: r.command, exitCode: r.exitCode });
    }
    if (r.exitCode === TIMED_OUT) return { ok: false, kind: 'timeout', reason: `clevis decrypt got no answer within ${seconds}s` };
    const lines = r.stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
    const server = lines.find((l) => /Error communicating with server/.test(l));
    if (server) return { ok: false, kind: 'network', reason: server };
    return { ok: false, kind: 'failed', reason: lines[lines.length - 1] ?? `clevis decrypt exited with ${r.exitCode}` };
  }
}
