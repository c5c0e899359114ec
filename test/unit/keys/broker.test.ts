import { describe, expect, it } from 'vitest';
import { PromptBroker, promptMessage } from '../../../src/keys/broker.js';
import { CryptvmError } from '../../../src/errors.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { FakeAsker, ctx, volume } from './fakes.js';

const office = (name: string, tries = 3) => volume(name, { passphraseGroup: 'office', tries });

/** A broker over a FakeAsker on a FakeClock: its gather passes only when the test moves the clock. */
function setup(gatherMs = 0) {
  const clock = new FakeClock();
  const asker = new FakeAsker();
  const b = new PromptBroker(asker, { gatherMs, clock });
  /** The n-th question, put once the clock passes the gather (0 ms by default). */
  const asked = async (n: number, ms = 0) => {
    await clock.advance(ms);
    expect(asker.asks.length, `question ${n} put`).toBeGreaterThan(n);
    return asker.asks[n]!;
  };
  return { clock, asker, b, asked };
}

describe('promptMessage', () => {
  it('names one disk, several volumes, the guests (once each), and a retry', () => {
    expect(promptMessage([ctx(volume('cr_imap_encr'), ['imap'])], false)).toBe('Please enter passphrase for disk cr_imap_encr (guests: imap):');
    expect(promptMessage([ctx(volume('cr_imap_encr'), ['imap']), ctx(volume('cr_images'), ['office', 'imap'])], false)).toBe(
      'Please enter passphrase for cr_imap_encr, cr_images (guests: imap, office):',
    );
    expect(promptMessage([ctx(volume('a'))], true)).toBe('Wrong passphrase, try again. Please enter passphrase for disk a:');
  });
});

describe('PromptBroker', () => {
  it('one prompt for a group, gathered from the first request; every waiting member gets its own copy', async () => {
    const { clock, asker, b, asked } = setup(10);
    const pa = b.request(ctx(office('a'), ['g1']));
    await clock.advance(5);
    const pb = b.request(ctx(office('b'), ['g2'])); // joins while the gather runs
    await clock.advance(4);
    expect(asker.asks).toHaveLength(0); // at 9 ms: still gathering
    const ask = await asked(0, 1);
    expect(ask.options.id).toBe('cryptsetup:/dev/vg/a');
    expect(ask.options.message).toBe('Please enter passphrase for a, b (guests: g1, g2):');
    expect(b.pending()).toEqual([{ group: 'office', volumes: ['a', 'b'], askId: 'cryptsetup:/dev/vg/a' }]);
    ask.answer('pw');
    const [ka, kb] = await Promise.all([pa, pb]);
    expect(ka.toString()).toBe('pw');
    expect(kb.toString()).toBe('pw');
    ka.fill(0);
    expect(kb.toString()).toBe('pw'); // copies, not one shared buffer
    expect(asker.asks).toHaveLength(1);
    expect(b.pending()).toEqual([]);
  });

  it('volumes without a group are asked separately', async () => {
    const { asker, b, asked } = setup();
    void b.request(ctx(volume('x')));
    void b.request(ctx(volume('y')));
    await asked(1);
    expect(asker.asks.map((a) => a.options.message)).toEqual(['Please enter passphrase for disk x:', 'Please enter passphrase for disk y:']);
  });

  it('wrong then right: re-asked only after every member tried the answer, with a retry message', async () => {
    const { clock, asker, b, asked } = setup();
    const pa = b.request(ctx(office('a')));
    const pb = b.request(ctx(office('b')));
    (await asked(0)).answer('wrong');
    await Promise.all([pa, pb]);
    b.reportResult('a', false);
    const again = b.request(ctx(office('a')));
    await clock.advance(60_000); // far past the gather
    expect(asker.asks).toHaveLength(1); // b has not reported yet: no new prompt
    expect(clock.pending()).toEqual([]); // nor one scheduled
    expect(b.pending()).toEqual([{ group: 'office', volumes: ['a'], askId: undefined }]);
    b.reportResult('b', true);
    const second = await asked(1);
    expect(second.options.message).toBe('Wrong passphrase, try again. Please enter passphrase for disk a:');
    second.answer('right');
    expect((await again).toString()).toBe('right');
  });

  it('a member arriving while an answer is being tried gets that answer without a new prompt', async () => {
    const { asker, b, asked } = setup();
    const pa = b.request(ctx(office('a')));
    (await asked(0)).answer('pw');
    await pa;
    expect((await b.request(ctx(office('late')))).toString()).toBe('pw');
    b.reportResult('a', true);
    b.reportResult('late', true);
    expect(asker.asks).toHaveLength(1);
  });

  it('a cancel from the user fails every waiting member with Cancelled', async () => {
    const { b, asked } = setup();
    const pa = b.request(ctx(office('a'))).catch((e: unknown) => e);
    const pb = b.request(ctx(office('b'))).catch((e: unknown) => e);
    (await asked(0)).fail(new CryptvmError('Cancelled', 'user cancelled'));
    expect(await pa).toMatchObject({ code: 'Cancelled' });
    expect(await pb).toMatchObject({ code: 'Cancelled' });
  });

  it('aborting the last waiting member withdraws the prompt; another member keeps it open', async () => {
    const { b, asked } = setup();
    const acA = new AbortController();
    const acB = new AbortController();
    const pa = b.request(ctx(office('a'), [], acA.signal)).catch((e: unknown) => e);
    const pb = b.request(ctx(office('b'), [], acB.signal)).catch((e: unknown) => e);
    const ask = await asked(0);
    acA.abort();
    expect(await pa).toMatchObject({ code: 'Cancelled' });
    expect(ask.options.signal?.aborted).toBe(false);
    b.cancel('b');
    expect(await pb).toMatchObject({ code: 'Cancelled' });
    expect(ask.options.signal?.aborted).toBe(true);
    expect(b.pending()).toEqual([]);
  });

  it('gives up after `tries` wrong answers until re-armed', async () => {
    const { b, asked } = setup();
    for (let i = 0; i < 2; i++) {
      const p = b.request(ctx(office('a', 2)));
      (await asked(i)).answer(`bad${i}`);
      await p;
      b.reportResult('a', false);
    }
    await expect(b.request(ctx(office('a', 2)))).rejects.toMatchObject({ code: 'BadPassphrase', message: expect.stringContaining('cryptvm unlock a') });
    b.rearm('a');
    const p = b.request(ctx(office('a', 2)));
    (await asked(2)).answer('good');
    expect((await p).toString()).toBe('good');
  });

  it('refuses a second concurrent request for the same volume', async () => {
    const { clock, b } = setup();
    void b.request(ctx(volume('a'))).catch(() => {});
    await expect(b.request(ctx(volume('a')))).rejects.toMatchObject({ code: 'InvalidArgs' });
    b.cancel('a');
    expect(clock.pending()).toEqual([]); // the gather of the withdrawn request ends too
  });
});
