// One interface for every key source (key file, credential, prompt, token, clevis, https). The chain
// (chain.ts) tries them in the configured order; each returns a key, says it opened the volume itself
// (cryptsetup --token-only: no key ever exists in this process), or says why it has none.
import type { VolumeConfig } from '../config/types.js';

export interface KeyContext {
  volume: VolumeConfig;
  /** The device path after resolving UUID=/LABEL=/…: what the prompt's Id names. */
  device: string;
  /** Guests waiting on this volume, for the prompt message. */
  guests: string[];
  signal: AbortSignal;
  /** $CREDENTIALS_DIRECTORY of the service, if systemd set one. */
  credentialsDir: string | undefined;
  /**
   * Runs fn under the daemon's PBKDF semaphore. Sources that open the volume themselves (token) wrap their
   * cryptsetup call in it; sources that only fetch a key must not (the caller's tryKey is bounded already).
   */
  runExclusive?: <T>(fn: () => Promise<T>) => Promise<T>;
}

export type KeyAttempt =
  | {
      kind: 'key';
      key: Buffer;
      source: string /* 'keyfile:/p', 'credential:x', 'prompt' */;
      /** The keyslot the key is bound to, when the source knows it (clevis: its binding's slot); tried first. */
      keySlot?: number;
    }
  | { kind: 'unavailable'; source: string; reason: string }
  /** The source opened the volume itself (LUKS2 token through cryptsetup's plugins). */
  | { kind: 'opened'; source: string };

/** What the chain made of a key a source gave it; lets interactive sources re-ask or share answers. */
export type KeyOutcome = 'ok' | 'bad-passphrase' | 'error';

export interface KeySource {
  readonly label: string;
  /** Interactive sources are re-asked up to volume.tries times; others are tried once. */
  readonly interactive?: boolean;
  get(ctx: KeyContext): Promise<KeyAttempt>;
  /** Told what became of the key from the last get(), always, once per key. */
  report?(ctx: KeyContext, outcome: KeyOutcome): void;
}
