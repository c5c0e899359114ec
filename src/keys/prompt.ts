// prompt — a human answers through systemd's password agents. The broker does the asking (one prompt per
// passphrase group); this source only adapts it to the KeySource interface and reports back what the chain
// made of the answer, so a wrong one is re-asked and a right one is shared.
import { errorMessage } from '../errors.js';
import type { PromptBroker } from './broker.js';
import type { KeyAttempt, KeyContext, KeyOutcome, KeySource } from './types.js';

export class PromptSource implements KeySource {
  readonly label = 'prompt';
  readonly interactive = true;

  constructor(private readonly broker: PromptBroker) {}

  async get(ctx: KeyContext): Promise<KeyAttempt> {
    try {
      return { kind: 'key', key: await this.broker.request(ctx), source: this.label };
    } catch (e) {
      // Cancelled, timed out, gave up after too many wrong answers, or systemd-ask-password missing.
      return { kind: 'unavailable', source: this.label, reason: errorMessage(e) };
    }
  }

  report(ctx: KeyContext, outcome: KeyOutcome): void {
    if (outcome === 'error') this.broker.cancel(ctx.volume.name);
    else this.broker.reportResult(ctx.volume.name, outcome === 'ok');
  }
}
