// A key source for daemon tests: answers with a fixed key, or (no key given) waits like a human at a prompt
// until the test answers; and a poll-until helper for conditions the daemon reaches asynchronously.
import { setTimeout as delay } from 'node:timers/promises';
import type { KeyContext, KeySource } from '../../src/keys/types.js';

export class TestSource implements KeySource {
  readonly interactive: boolean;
  private waiting: ((k: Buffer | undefined) => void) | undefined;
  asked = 0;
  constructor(readonly label: string, private readonly key?: string) {
    this.interactive = key === undefined;
  }
  async get(ctx: KeyContext) {
    this.asked++;
    if (this.key !== undefined) return { kind: 'key' as const, key: Buffer.from(this.key), source: this.label };
    const k = await new Promise<Buffer | undefined>((resolve) => {
      this.waiting = resolve;
      ctx.signal.addEventListener('abort', () => resolve(undefined));
    });
    return k ? { kind: 'key' as const, key: k, source: this.label } : { kind: 'unavailable' as const, source: this.label, reason: 'cancelled' };
  }
  answer(s: string) {
    this.waiting?.(Buffer.from(s));
  }
  get isWaiting() {
    return this.waiting !== undefined;
  }
}

export async function until(cond: () => boolean, what: string, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(5);
  }
}
