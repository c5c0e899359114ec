// token[:TYPE] — LUKS2 tokens (TPM2, FIDO2, PKCS#11 enrolled with systemd-cryptenroll) through cryptsetup's
// own token plugins. cryptsetup opens the volume itself, so this source returns 'opened', never a key. The
// header is read first: without a token of the wanted type there is nothing to try, and no reason to spend
// a cryptsetup run (or a semaphore slot) on it.
import type { LuksMetadata } from '../adapters/cryptsetup.js';
import type { TokenOpener } from '../adapters/cryptsetup-token.js';
import { errorMessage } from '../errors.js';
import type { KeyAttempt, KeyContext, KeySource } from './types.js';

export interface TokenDeps {
  /** Cryptsetup (its metadata() reads the header's tokens). */
  cryptsetup: { metadata(device: string, header?: string): Promise<Pick<LuksMetadata, 'version' | 'tokens'>> };
  opener: TokenOpener;
  /** --test-passphrase instead of opening (checks; hosts without device-mapper). */
  test?: boolean;
}

/** Token types cryptsetup's plugins do not open: clevis has its own source. */
const NOT_PLUGIN_TYPES = new Set(['clevis']);

export class TokenSource implements KeySource {
  readonly label: string;

  constructor(private readonly deps: TokenDeps, private readonly tokenType: string | undefined) {
    this.label = tokenType ? `token:${tokenType}` : 'token';
  }

  async get(ctx: KeyContext): Promise<KeyAttempt> {
    const unavailable = (reason: string): KeyAttempt => ({ kind: 'unavailable', source: this.label, reason });
    const { volume, device } = ctx;
    let tokens;
    try {
      const meta = await this.deps.cryptsetup.metadata(device, volume.header);
      if (meta.version !== 2) return unavailable('LUKS1 headers hold no tokens (convert with cryptsetup convert --type luks2)');
      tokens = meta.tokens.filter((t) => (this.tokenType ? t.type === this.tokenType : !NOT_PLUGIN_TYPES.has(t.type)));
    } catch (e) {
      return unavailable(errorMessage(e));
    }
    if (tokens.length === 0) {
      const what = this.tokenType ? `no LUKS2 token of type ${this.tokenType}` : 'no LUKS2 token';
      return unavailable(`${what} (enroll one with systemd-cryptenroll --tpm2-device=auto ${device})`);
    }
    const open = () =>
      this.deps.opener.openWithToken(device, volume.name, {
        tokenType: this.tokenType,
        header: volume.header,
        discard: volume.discard,
        readonly: volume.readonly,
        timeoutMs: volume.tokenTimeoutMs,
        signal: ctx.signal,
        test: this.deps.test,
      });
    // The token's key still runs the keyslot's PBKDF: it counts against the daemon's unlock budget.
    const r = await (ctx.runExclusive ? ctx.runExclusive(open) : open());
    if (r.result === 'opened') return { kind: 'opened', source: this.label };
    const types = [...new Set(tokens.map((t) => t.type))].join(', ');
    return unavailable(`${r.reason} [token ${types}]`);
  }
}
