// The key chain of one volume: sources in configured order until one opens it. An unavailable source or a
// wrong key falls through to the next one with its reason recorded; the interactive source is re-asked up to
// volume.tries times; every key is wiped after its try, whatever happens. Anything else tryKey throws (not a
// LUKS device, device gone, cryptsetup failure) is not a key problem: trying more keys — or waking a human —
// would not help, so it propagates to the caller after the key is wiped.
import type { Logger } from '../log/logger.js';
import type { KeySourceSpec, VolumeConfig } from '../config/types.js';
import { CryptvmError, errorMessage } from '../errors.js';
import { wipe } from '../secret.js';
import type { PromptBroker } from './broker.js';
import { CredentialSource } from './credential.js';
import { KeyFileSource } from './keyfile.js';
import { PromptSource } from './prompt.js';
import type { KeyContext, KeySource } from './types.js';

/** 'opened' is accepted as a synonym of 'ok' (what the cryptsetup adapter's open() returns). */
export type TryKey = (key: Buffer) => Promise<'ok' | 'opened' | 'bad-passphrase'>;
export type ChainResult = { opened: true; source: string } | { opened: false; reasons: string[] };

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
        log?.debug({ volume, source: attempt.source, reason: attempt.reason }, 'key source unavailable, trying the next one');
        reasons.push(`${attempt.source}: ${attempt.reason}`);
        break;
      }
      let result: 'ok' | 'bad-passphrase';
      try {
        result = (await tryKey(attempt.key)) === 'bad-passphrase' ? 'bad-passphrase' : 'ok';
      } catch (e) {
        source.report?.(ctx, 'error');
        throw e;
      } finally {
        wipe(attempt.key);
      }
      source.report?.(ctx, result);
      if (result === 'ok') return { opened: true, source: attempt.source };
      const of = attempts > 1 ? ` (attempt ${n} of ${attempts})` : '';
      log?.debug({ volume, source: attempt.source }, `wrong key${of}`);
      reasons.push(`${attempt.source}: wrong passphrase or key${of}`);
    }
  }
  if (sources.length === 0) reasons.push('no key sources configured');
  return { opened: false, reasons };
}

export interface SourceDeps {
  broker: PromptBroker;
}

export function buildSources(volume: VolumeConfig, deps: SourceDeps): KeySource[] {
  return volume.keys.map((spec: KeySourceSpec): KeySource => {
    switch (spec.kind) {
      case 'keyfile':
        return new KeyFileSource(spec.path);
      case 'credential':
        return new CredentialSource(spec.name);
      case 'prompt':
        return new PromptSource(deps.broker);
      default:
        throw new CryptvmError('Config', `volume ${volume.name}: key source ${spec.kind} is not supported by this build`, { volume: volume.name });
    }
  });
}
