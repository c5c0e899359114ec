// credential[:NAME] — a systemd credential in $CREDENTIALS_DIRECTORY (LoadCredential=, or
// LoadCredentialEncrypted= for one sealed with systemd-creds/TPM2). systemd makes that directory root's and
// read-only; checked anyway like a key file (root-owned, no group/other access, root-only parents, no symlink),
// because $CREDENTIALS_DIRECTORY is only an environment variable.
import { join } from 'node:path';
import type { KeyAttempt, KeyContext, KeySource } from './types.js';
import { readSecretFile } from './read-secret.js';

export class CredentialSource implements KeySource {
  readonly label: string;

  constructor(private readonly name: string) {
    this.label = `credential:${name}`;
  }

  private fix(): string {
    return `add LoadCredential=${this.name}:/path or LoadCredentialEncrypted=${this.name}:/path to a drop-in for cryptvm.service`;
  }

  async get(ctx: KeyContext): Promise<KeyAttempt> {
    const unavailable = (why: string): KeyAttempt => ({ kind: 'unavailable', source: this.label, reason: `no credential '${this.name}' (${why}): ${this.fix()}` });
    if (this.name === '' || this.name.includes('/') || this.name === '.' || this.name === '..') {
      return unavailable('invalid credential name');
    }
    if (!ctx.credentialsDir) return unavailable('$CREDENTIALS_DIRECTORY is not set');
    const r = await readSecretFile(join(ctx.credentialsDir, this.name), { strictOwnership: true });
    if (!r.ok) return unavailable(r.reason);
    return { kind: 'key', key: r.data, source: this.label };
  }
}
