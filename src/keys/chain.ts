// The key chain of one volume: sources in configured order until one opens it. An unavailable source or a
// wrong key falls through to the next one with its reason recorded; the interactive source is re-asked up to
// volume.tries times; every key is wiped after its try, whatever happens. Anything else tryKey throws (not a
// LUKS device, device gone, cryptsetup failure) is not a key problem: trying more keys — or waking a human —
// would not help, so it propagates to the caller after the key is wiped. A source may also open the volume
// itself ('opened': LUKS2 tokens through cryptsetup) — no key passes through here then.
import type { Clock } from '../clock.js';
import type { Logger } from '../log/logger.js';
import { ev } from '../log/events.js';
import type { KeyServerConfig, KeySourceSpec, VolumeConfig } from '../config/types.js';
import { HttpsSource } from './https.js';
import { CryptvmError, errorMessage } from '../errors.js';
import { wipe } from '../secret.js';
import type { PromptBroker } from './broker.js';
import { ClevisSource, type ClevisDeps } from './clevis.js';
import { CredentialSource } from './credential.js';
import { KeyFileSource } from './keyfile.js';
import { PromptSource } from './prompt.js';
import { TokenSource, type TokenDeps } from './token.js';
import type { KeyContext, KeySource } from './types.js';

/** 'opened' is accepted as a synonym of 'ok' (what the cryptsetup adapter's open() returns). */
/**
 * `source` is the label of the source the key came from (keyslot hints are kept per volume and source);
 * `keySlot` the slot the source says the key is bound to, if it knows.
 */
export type TryKey = (key: Buffer, source: string, keySlot?: number) => Promise<'ok' | 'opened' | 'bad-passphrase'>;
/** On success, `skipped` says why each earlier source did not open the volume (for status). */
export type ChainResult = { opened: true; source: string; skipped: string[] } | { opened: false; reasons: string[] };

export async function unlockWithChain(ctx: KeyContext, sources: KeySource[], tryKey: TryKey, log?: Logger): Promise<ChainResult> {
  const reasons: string[] = [];
  const volume = ctx.volume.name;
  for (const source of sources) {
    const attempts = source.interactive ? Math.max(1, ctx.volume.tries) : 1;
    for (let n = 1; n <= attempts; n++) {
      if (ctx.signal.aborted) {
        reasons.push('unlock was cancelled');
        return { opened: false, reasons };
      }
      let attempt;
      try {
        attempt = await source.get(ctx);
      } catch (e) {
        reasons.push(`${source.label}: ${errorMessage(e)}`);
        break;
      }
      if (attempt.kind === 'unavailable') {
        log?.debug(ev('key-source-unavailable', { volume, source: attempt.source, reason: attempt.reason }), 'key source unavailable, trying the next one');
        reasons.push(`${attempt.source}: ${attempt.reason}`);
        break;
      }
      if (attempt.kind === 'opened') {
        source.report?.(ctx, 'ok');
        return { opened: true, source: attempt.source, skipped: reasons };
      }
      let result: 'ok' | 'bad-passphrase';
      try {
        result = (await tryKey(attempt.key, attempt.source, attempt.keySlot)) === 'bad-passphrase' ? 'bad-passphrase' : 'ok';
      } catch (e) {
        source.report?.(ctx, 'error');
        throw e;
      } finally {
        wipe(attempt.key);
      }
      source.report?.(ctx, result);
      if (result === 'ok') return { opened: true, source: attempt.source, skipped: reasons };
      const of = attempts > 1 ? ` (attempt ${n} of ${attempts})` : '';
      log?.debug(ev('wrong-key', { volume, source: attempt.source, attempt: n, attempts }), `wrong key${of}`);
      reasons.push(`${attempt.source}: wrong passphrase or key${of}`);
    }
  }
  if (sources.length === 0) reasons.push('no key sources configured');
  return { opened: false, reasons };
}

export interface SourceDeps {
  broker: PromptBroker;
  /** The clock the network sources (clevis, https) keep their network_timeout and retries on. */
  clock?: Clock;
  /** token sources: the header's tokens and cryptsetup --token-only. */
  token?: TokenDeps;
  /** clevis (tang) sources. */
  clevis?: ClevisDeps;
  /** https: sources: the [key_server] settings. */
  https?: { server: KeyServerConfig | undefined; log?: Logger };
}

/** A volume's sources in configured order; headless volumes never get a prompt (the loader refuses one too). */
export function buildSources(volume: VolumeConfig, deps: SourceDeps): KeySource[] {
  const missing = (kind: string): never => {
    throw new CryptvmError('Config', `volume ${volume.name}: key source ${kind} is not supported by this build`, { volume: volume.name });
  };
  const specs = volume.headless ? volume.keys.filter((s) => s.kind !== 'prompt') : volume.keys;
  return specs.map((spec: KeySourceSpec): KeySource => {
    switch (spec.kind) {
      case 'keyfile':
        return new KeyFileSource(spec.path);
      case 'credential':
        return new CredentialSource(spec.name);
      case 'prompt':
        return new PromptSource(deps.broker);
      case 'token':
        return deps.token ? new TokenSource(deps.token, spec.tokenType) : missing('token');
      case 'clevis':
        return deps.clevis ? new ClevisSource({ ...deps.clevis, clock: deps.clevis.clock ?? deps.clock }) : missing('clevis');
      case 'https':
        return deps.https?.server ? new HttpsSource(spec.url, deps.https.server, { log: deps.https.log, clock: deps.clock }) : missing('https');
      default:
        return missing((spec as { kind: string }).kind);
    }
  });
}
