// A person at the password agents, for the broker's tests and for daemon tests with the real PromptBroker:
// every question waits until the test answers it, fails it, or the asker withdraws it, like
// systemd-ask-password does. A question that could time out is refused: the broker's never do.
import type { Asker, AskOptions } from '../../src/adapters/askpass.js';
import { CryptvmError } from '../../src/errors.js';

export interface OpenQuestion {
  options: AskOptions;
  answer(text: string): void;
  fail(err: Error): void;
}

export class FakeAsker implements Asker {
  /** Questions still waiting for an answer. */
  readonly open: OpenQuestion[] = [];
  /** Every question ever put, in order (answered or not). */
  readonly asks: OpenQuestion[] = [];
  private waiters: (() => void)[] = [];
  /** Told when a question appears or goes (for a broker not made by the wiring, which tells the daemon itself). */
  onChange: () => void = () => {};

  /** The options of every question ever put. */
  get asked(): AskOptions[] {
    return this.asks.map((q) => q.options);
  }

  ask(options: AskOptions): Promise<Buffer> {
    if (options.timeoutMs !== 0) throw new Error(`unexpected question with a timeout (${options.timeoutMs} ms): broker prompts never time out`);
    return new Promise<Buffer>((resolve, reject) => {
      const q: OpenQuestion = {
        options,
        answer: (text) => {
          this.remove(q);
          resolve(Buffer.from(text));
        },
        fail: (err) => {
          this.remove(q);
          reject(err);
        },
      };
      options.signal?.addEventListener('abort', () => {
        this.remove(q);
        reject(new CryptvmError('Cancelled', `passphrase prompt ${options.id} withdrawn`));
      }, { once: true });
      this.open.push(q);
      this.asks.push(q);
      this.waiters.splice(0).forEach((w) => w());
      queueMicrotask(() => this.onChange());
    });
  }

  /** The n-th question (0-based), waiting for it to be put. */
  async nth(n: number): Promise<OpenQuestion> {
    while (this.asks.length <= n) await new Promise<void>((r) => this.waiters.push(r));
    return this.asks[n] as OpenQuestion;
  }

  private remove(q: OpenQuestion): void {
    const i = this.open.indexOf(q);
    if (i >= 0) this.open.splice(i, 1);
    queueMicrotask(() => this.onChange());
  }
}
