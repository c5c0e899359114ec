// clevis (alias tang) — the passphrase of a slot bound with `clevis luks bind` (Tang, TPM2, sss policies),
// decrypted by clevis itself. Policies that involve a tang server wait for the network: failed tries are
// retried with backoff (0.5 s → 5 s) until the volume's network_timeout, because at boot the network often
// comes up after the daemon. Policies without tang are tried once and never wait.
import type { ClevisBinding, ClevisDecryptor } from '../adapters/clevis.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { ev } from '../log/events.js';
import { Backoff } from './network.js';
import type { KeyAttempt, KeyContext, KeySource } from './types.js';
import { pause, systemClock, type Clock } from '../clock.js';

export interface ClevisDeps {
  clevis: ClevisDecryptor;
  log?: Logger;
  /** The clock the retries wait on (default: the system's). */
  clock?: Clock;
  /** For tests: backoff bounds. */
  backoffMs?: [number, number];
}

export class ClevisSource implements KeySource {
  readonly label = 'clevis';

  constructor(private readonly deps: ClevisDeps) {}

  async get(ctx: KeyContext): Promise<KeyAttempt> {
    const unavailable = (reason: string): KeyAttempt => ({ kind: 'unavailable', source: this.label, reason });
    const { device, volume } = ctx;
    let found;
    try {
      found = await this.deps.clevis.bindings(device, volume.header);
    } catch (e) {
      return unavailable(errorMessage(e));
    }
    if (!found.luks2) return unavailable('clevis bindings are read from LUKS2 headers only (this one is LUKS1)');
    if (found.bindings.length === 0) {
      return unavailable(`no clevis binding (bind one with clevis luks bind -d ${device} tang '{"url":"http://TANG"}')`);
    }
    const clock = this.deps.clock ?? systemClock;
    const now = (): number => clock.now();
    const started = now();
    const [initial, max] = this.deps.backoffMs ?? [500, 5000];
    const backoff = new Backoff(started + volume.networkTimeoutMs, initial, max, now);
    let pending: ClevisBinding[] = found.bindings;
    const failures = new Map<number, { b: ClevisBinding; kind: string; reason: string }>();
    for (let round = 1; ; round++) {
      const retry: ClevisBinding[] = [];
      for (const b of pending) {
        const timeoutMs = backoff.remaining();
        if (timeoutMs <= 0 || ctx.signal.aborted) break;
        const r = await this.deps.clevis.decrypt(b.jwe, { timeoutMs, signal: ctx.signal });
        // A binding names its slot: trying that one first costs one PBKDF instead of one per slot before it.
        if (r.ok) return { kind: 'key', key: r.key, source: this.label, ...(b.keyslots.length === 1 ? { keySlot: b.keyslots[0] } : {}) };
        failures.set(b.tokenId, { b, kind: r.kind, reason: r.reason });
        if (b.networkBound && r.kind !== 'failed') retry.push(b);
      }
      if (ctx.signal.aborted) return unavailable('cancelled');
      const delayMs = retry.length > 0 ? backoff.delay() : 0;
      if (delayMs <= 0) break;
      const urls = retry.flatMap((b) => b.urls).join(', ');
      this.deps.log?.debug(ev('key-source-retrying', { volume: volume.name, source: this.label, round, delayMs, urls }), 'tang unreachable, retrying');
      if (!(await pause(clock, delayMs, ctx.signal))) return unavailable('cancelled');
      pending = retry;
    }
    const elapsedMs = now() - started;
    return unavailable([...failures.values()].map((f) => describe(f.b, f.kind, f.reason, elapsedMs)).join('; '));
  }
}

function describe(b: ClevisBinding, kind: string, reason: string, elapsedMs: number): string {
  const slots = b.keyslots.length === 1 ? `slot ${b.keyslots[0]}` : `slots ${b.keyslots.join(',')}`;
  if (b.networkBound && kind !== 'failed') {
    const secs = Math.round(elapsedMs / 1000);
    return `tang server ${b.urls.join(', ')} unreachable for ${secs}s (${slots}, ${b.pin}: ${reason})`;
  }
  return `${slots} (${b.pin}): ${reason}`;
}
