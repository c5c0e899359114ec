// cryptsetup open --token-only: LUKS2 tokens (TPM2, FIDO2, PKCS#11 enrolled with systemd-cryptenroll) opened by
// cryptsetup's own token plugins. The volume key never passes through this process; there is no stdin.
// cryptsetup 2.6 has no per-token timeout option, so a token device that never answers (a FIDO2 key nobody
// touches) is bounded by the process timeout. stdin is empty: a token that wants a PIN reads EOF and fails.
import type { Runner } from './exec.js';
import { SpawnError } from './exec.js';
import { firstMeaningfulLine, runError, spawnFailure, type Subject } from './cryptsetup/errors.js';

export interface TokenOpenOptions {
  /** Only tokens of this type (--token-type), e.g. "systemd-tpm2"; undefined: any token. */
  tokenType?: string;
  header?: string;
  discard?: boolean;
  readonly?: boolean;
  /** Kill cryptsetup after this long: the token's device did not answer. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** --test-passphrase instead of creating the mapping (checks, and tests on hosts without device-mapper). */
  test?: boolean;
}

export type TokenOpenResult =
  | { result: 'opened' }
  /** cryptsetup found no token it could use (none of that type, or no plugin for it). */
  | { result: 'no-token'; reason: string }
  /** A token was tried and did not unlock: PCR mismatch, no TPM/FIDO2 device, timeout, PIN needed. */
  | { result: 'failed'; reason: string };

export interface TokenOpener {
  openWithToken(device: string, name: string, opts: TokenOpenOptions): Promise<TokenOpenResult>;
}

export function tokenOpenArgs(device: string, name: string, o: Omit<TokenOpenOptions, 'timeoutMs' | 'signal'>): string[] {
  const args = ['open', '--token-only', ...(o.tokenType ? ['--token-type', o.tokenType] : [])];
  if (o.test) args.push('--test-passphrase');
  else {
    args.push('--type', 'luks');
    if (o.discard) args.push('--allow-discards');
    if (o.readonly) args.push('--readonly');
  }
  if (o.header) args.push('--header', o.header);
  args.push('-v', '--', device);
  if (!o.test) args.push(name);
  return args;
}

export class CryptsetupToken implements TokenOpener {
  private readonly bin: string;

  constructor(private readonly runner: Runner, opts: { bin?: string } = {}) {
    this.bin = opts.bin ?? 'cryptsetup';
  }

  async openWithToken(device: string, name: string, opts: TokenOpenOptions): Promise<TokenOpenResult> {
    const subject: Subject = { what: `open --token-only ${device}${opts.test ? '' : ` as ${name}`}`, device, volume: name };
    let r;
    try {
      r = await this.runner.run(this.bin, tokenOpenArgs(device, name, opts), { timeoutMs: opts.timeoutMs, signal: opts.signal, secret: true });
    } catch (e) {
      if (e instanceof SpawnError && e.reason === 'timeout') {
        return { result: 'failed', reason: `no token device answered within ${Math.round(opts.timeoutMs / 1000)}s (token_timeout)` };
      }
      throw spawnFailure(subject, e);
    }
    if (r.exitCode === 0) return { result: 'opened' };
    // With -v, cryptsetup prints its verdicts on stdout; plugins print on stderr.
    const output = `${r.stderr}\n${r.stdout}`;
    const said = firstMeaningfulLine(output);
    // Exit 1 with only "No usable token is available." (filtered as noise): nothing cryptsetup could use.
    if (r.exitCode === 1 && /No usable token/.test(output) && (said === '' || /No usable token|Command failed/.test(said))) {
      return { result: 'no-token', reason: 'cryptsetup found no usable token (no plugin for its type, or none of that type)' };
    }
    // Exit 2: the token gave a key that no keyslot accepts (e.g. enrolled on another header).
    if (r.exitCode === 2) return { result: 'failed', reason: 'the token\'s key opens no keyslot' };
    // Exit 1 with a message from the plugin: "TPM2 support is not installed.", PCR policy mismatch, no device.
    if (r.exitCode === 1 && said !== '' && !/^Command failed/.test(said)) return { result: 'failed', reason: `token failed: ${said}` };
    if (r.exitCode === 1) return { result: 'failed', reason: 'the token could not be used (cryptsetup gave no reason; run it by hand with --debug)' };
    // 3 (memory), 4 (device), 5 (mapping exists): not a token problem; the caller reports it.
    throw runError(subject, r);
  }
}
