// keyfile:PATH — a key file on the host, refused unless root-owned and not group/other accessible
// (a key file that others can read is a passphrase on a post-it).
import type { KeyAttempt, KeyContext, KeySource } from './types.js';
import { readSecretFile } from './read-secret.js';

export class KeyFileSource implements KeySource {
  readonly label: string;

  constructor(private readonly path: string) {
    this.label = `keyfile:${path}`;
  }

  async get(_ctx: KeyContext): Promise<KeyAttempt> {
    const r = await readSecretFile(this.path, { strictOwnership: true });
    if (!r.ok) return { kind: 'unavailable', source: this.label, reason: r.reason };
    return { kind: 'key', key: r.data, source: this.label };
  }
}
