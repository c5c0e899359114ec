// A person at the password agents, for daemon tests with the real PromptBroker: every question waits until
// the test answers it (or the daemon withdraws it), like systemd-ask-password does.
import type { Asker, AskOptions } from '../../src/adapters/askpass.js';
import { CryptvmError } from '../../src/errors.js';

export interface OpenQuestion {
  options: AskOptions;
  answer(text: string): void;
}

export class FakeAsker implements Asker {
  readonly open: OpenQuestion[] = [];
  readonly asked: AskOptions[] = [];
  /** Told when a question appears or goes (main.ts tells the daemon, for STATUS= and `cryptvm unlock`). */
  onChange: () => void = () => {};

  ask(options: AskOptions): Promise<Buffer> {
    this.asked.push(options);
    return new Promise<Buffer>((resolve, reject) => {
      const q: OpenQuestion = {
        options,
        answer: (text) => {
          this.remove(q);
          resolve(Buffer.from(text));
        },
      };
      options.signal?.addEventListener('abort', () => {
        this.remove(q);
        reject(new CryptvmError('Cancelled', `passphrase prompt ${options.id} withdrawn`));
      });
      this.open.push(q);
      queueMicrotask(() => this.onChange());
    });
  }

  private remove(q: OpenQuestion): void {
    const i = this.open.indexOf(q);
    if (i >= 0) this.open.splice(i, 1);
    queueMicrotask(() => this.onChange());
  }
}
