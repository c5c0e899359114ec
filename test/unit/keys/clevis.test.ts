// Clevis bindings from LUKS2 JSON (tang, sss with tang, tpm2) and the retry policy of the clevis source with a
// scripted decryptor: only network-bound policies wait, with backoff, until network_timeout.
import { describe, expect, it } from 'vitest';
import { parseBindings, type ClevisBinding } from '../../../src/adapters/clevis-bindings.js';
import type { ClevisDecryptor, DecryptResult } from '../../../src/adapters/clevis.js';
import { ClevisSource } from '../../../src/keys/clevis.js';
import { Backoff } from '../../../src/keys/network.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { ctx, volume } from './fakes.js';

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
const compact = (clevis: unknown): string => `${b64({ alg: 'ECDH-ES', clevis })}..iv.ct.tag`;
const token = (slot: number, clevis: unknown) => {
  const [p, , iv, ciphertext, tag] = compact(clevis).split('.');
  return { type: 'clevis', keyslots: [String(slot)], jwe: { protected: p, iv, ciphertext, tag } };
};

describe('parseBindings', () => {
  it('finds tang, sss-with-tang and tpm2 policies; network-free ones first', () => {
    const json = JSON.stringify({
      keyslots: {},
      tokens: {
        '0': token(1, { pin: 'tang', tang: { url: 'http://tang1' } }),
        '1': token(2, { pin: 'sss', sss: { t: 1, jwe: [compact({ pin: 'tang', tang: { url: 'http://tang2' } }), compact({ pin: 'tpm2', tpm2: {} })] } }),
        '2': token(3, { pin: 'tpm2', tpm2: {} }),
        '3': { type: 'systemd-tpm2', keyslots: ['4'] },
      },
    });
    const got = parseBindings(json).map(({ tokenId, keyslots, pin, urls, networkBound }) => ({ tokenId, keyslots, pin, urls, networkBound }));
    expect(got).toEqual([
      { tokenId: 2, keyslots: [3], pin: 'tpm2', urls: [], networkBound: false },
      { tokenId: 0, keyslots: [1], pin: 'tang', urls: ['http://tang1'], networkBound: true },
      { tokenId: 1, keyslots: [2], pin: 'sss', urls: ['http://tang2'], networkBound: true },
    ]);
    expect(parseBindings(json)[1]?.jwe).toBe(compact({ pin: 'tang', tang: { url: 'http://tang1' } }));
  });
});

const binding = (tokenId: number, networkBound: boolean): ClevisBinding => ({
  tokenId, keyslots: [tokenId], pin: networkBound ? 'tang' : 'tpm2', urls: networkBound ? [`http://tang${tokenId}`] : [], networkBound, jwe: `jwe${tokenId}`,
});

/** Replies per JWE from a list, in turn; records each call and the clock reading it came at. */
function decryptor(bindings: ClevisBinding[], replies: Record<string, DecryptResult[]>, clock?: FakeClock) {
  const calls: string[] = [];
  const at: number[] = [];
  const d: ClevisDecryptor = {
    bindings: async () => ({ luks2: true, bindings }),
    decrypt: async (jwe) => {
      calls.push(jwe);
      at.push(clock?.now() ?? NaN);
      const next = replies[jwe]?.shift();
      if (!next) throw new Error(`unexpected decrypt ${jwe}`);
      return next;
    },
  };
  return { d, calls, at };
}

const refused: DecryptResult = { ok: false, kind: 'network', reason: 'Error communicating with server http://tang1' };

describe('ClevisSource', () => {
  it('a failing TPM2-only policy is tried once and never waits', async () => {
    const clock = new FakeClock();
    const { d, calls } = decryptor([binding(3, false)], { jwe3: [{ ok: false, kind: 'failed', reason: 'PCR mismatch' }] });
    let r;
    void new ClevisSource({ clevis: d, clock }).get(ctx(volume('v', { networkTimeoutMs: 60_000 }))).then((x) => void (r = x));
    await clock.advance(0); // done at the first clock reading, no wait armed
    expect(r).toEqual({ kind: 'unavailable', source: 'clevis', reason: 'slot 3 (tpm2): PCR mismatch' });
    expect(calls).toEqual(['jwe3']);
    expect(clock.pending()).toEqual([]);
  });

  it('retries only the network-bound policy, with backoff on the clock, and succeeds when tang answers', async () => {
    const clock = new FakeClock();
    const { d, calls, at } = decryptor([binding(3, false), binding(1, true)], {
      jwe3: [{ ok: false, kind: 'failed', reason: 'no TPM' }],
      jwe1: [refused, refused, { ok: true, key: Buffer.from('k') }],
    }, clock);
    const r = await clock.run(new ClevisSource({ clevis: d, clock, backoffMs: [10, 20] }).get(ctx(volume('v', { networkTimeoutMs: 5000 }))));
    // The key comes with its binding's slot (1), which the unlock tries first.
    expect(r).toEqual({ kind: 'key', key: Buffer.from('k'), source: 'clevis', keySlot: 1 });
    expect(calls).toEqual(['jwe3', 'jwe1', 'jwe1', 'jwe1']);
    expect(at).toEqual([0, 0, 10, 30]);
  });

  it('gives up at network_timeout on the clock, saying how long tang was unreachable', async () => {
    const clock = new FakeClock();
    const { d, at } = decryptor([binding(1, true)], { jwe1: [refused, refused] }, clock);
    const r = await clock.run(new ClevisSource({ clevis: d, clock }).get(ctx(volume('v', { networkTimeoutMs: 1000 }))));
    expect(at).toEqual([0, 500]); // the next try would be at 1000 ms: the deadline
    expect(clock.now()).toBe(1000);
    expect(r).toEqual({ kind: 'unavailable', source: 'clevis', reason: 'tang server http://tang1 unreachable for 1s (slot 1, tang: Error communicating with server http://tang1)' });
  });

  it('stops when cancelled while waiting', async () => {
    const clock = new FakeClock();
    const ac = new AbortController();
    const { d, calls } = decryptor([binding(1, true)], { jwe1: [refused] });
    const run = new ClevisSource({ clevis: d, clock, backoffMs: [5000, 5000] }).get(ctx(volume('v', { networkTimeoutMs: 60_000 }), [], ac.signal));
    await clock.advance(4_999);
    expect(clock.pending()).toEqual([5000]); // waiting for the next try
    ac.abort();
    expect(await run).toEqual({ kind: 'unavailable', source: 'clevis', reason: 'cancelled' });
    expect(calls).toEqual(['jwe1']);
    expect(clock.pending()).toEqual([]);
  });

  it('a LUKS1 header is unavailable with a reason', async () => {
    const d: ClevisDecryptor = { bindings: async () => ({ luks2: false }), decrypt: () => Promise.reject(new Error('unexpected')) };
    expect(await new ClevisSource({ clevis: d }).get(ctx(volume('v')))).toMatchObject({ reason: 'clevis bindings are read from LUKS2 headers only (this one is LUKS1)' });
  });
});

describe('Backoff', () => {
  it('doubles from 0.5 s to 5 s and never sleeps past the deadline', () => {
    let t = 0;
    const b = new Backoff(12_000, 500, 5000, () => t);
    const delays: number[] = [];
    for (let d = b.delay(); d > 0; d = b.delay()) {
      delays.push(d);
      t += d;
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 4500]);
  });
});
