// The broker's onWrong hook (cryptvm_wrong_passphrases_total): called once per volume per wrong typed answer,
// never for a right one.
import { describe, expect, it } from 'vitest';
import { PromptBroker } from '../../../src/keys/broker.js';
import { FakeAsker, ctx, volume } from '../keys/fakes.js';

describe('PromptBroker onWrong', () => {
  it('counts wrong answers per volume', async () => {
    const asker = new FakeAsker();
    const wrong: string[] = [];
    const b = new PromptBroker(asker, { gatherMs: 0, onWrong: (v) => void wrong.push(v) });
    const office = (name: string) => volume(name, { passphraseGroup: 'office', tries: 3 });
    const pa = b.request(ctx(office('a')));
    const pb = b.request(ctx(office('b')));
    (await asker.nth(0)).answer('wrong');
    await Promise.all([pa, pb]);
    b.reportResult('a', false);
    b.reportResult('b', true);
    expect(wrong).toEqual(['a']);
  });
});
