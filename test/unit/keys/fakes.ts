// Test doubles for the key modules: a scripted Asker that holds each prompt open until the test answers it,
// and a KeyContext builder.
import type { AskOptions, Asker } from '../../../src/adapters/askpass.js';
import type { VolumeConfig } from '../../../src/config/types.js';
import { CryptvmError } from '../../../src/errors.js';
import type { KeyContext } from '../../../src/keys/types.js';

export interface OpenAsk {
  options: AskOptions;
  answer(text: string): void;
  fail(err: Error): void;
}

export class FakeAsker implements Asker {
  readonly asks: OpenAsk[] = [];
  private waiters: (() => void)[] = [];

  ask(options: AskOptions): Promise<Buffer> {
    if (options.timeoutMs !== 0) throw new Error('broker prompts must not time out');
    return new Promise((resolve, reject) => {
      const open: OpenAsk = { options, answer: (t) => resolve(Buffer.from(t)), fail: reject };
      options.signal?.addEventListener('abort', () => reject(new CryptvmError('Cancelled', 'withdrawn')), { once: true });
      this.asks.push(open);
      this.waiters.splice(0).forEach((w) => w());
    });
  }

  /** The n-th prompt (0-based), waiting for it to be opened. */
  async nth(n: number): Promise<OpenAsk> {
    while (this.asks.length <= n) await new Promise<void>((r) => this.waiters.push(r));
    return this.asks[n] as OpenAsk;
  }
}

export function volume(name: string, extra: Partial<VolumeConfig> = {}): VolumeConfig {
  return { name, device: `/dev/vg/${name}`, uuid: undefined, keys: [{ kind: 'prompt' }], passphraseGroup: undefined, discard: false, readonly: false, header: undefined, tries: 3, deviceTimeoutMs: 1000, headless: false, tokenTimeoutMs: 30_000, networkTimeoutMs: 60_000, mount: undefined, line: 1, ...extra };
}

export function ctx(v: VolumeConfig, guests: string[] = [], signal = new AbortController().signal, credentialsDir?: string): KeyContext {
  return { volume: v, device: `/dev/vg/${v.name}`, guests, signal, credentialsDir };
}
