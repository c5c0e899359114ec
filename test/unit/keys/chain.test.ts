import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PromptBroker } from '../../../src/keys/broker.js';
import { buildSources, unlockWithChain } from '../../../src/keys/chain.js';
import { CryptvmError } from '../../../src/errors.js';
import type { KeySource } from '../../../src/keys/types.js';
import { FakeAsker, ctx, volume } from './fakes.js';

/** tryKey that accepts one passphrase and keeps every key it was given, to check they were wiped. */
function device(passphrase: string) {
  const seen: Buffer[] = [];
  const texts: string[] = [];
  const tryKey = async (key: Buffer): Promise<'ok' | 'bad-passphrase'> => {
    seen.push(key);
    texts.push(key.toString());
    return key.toString() === passphrase ? 'ok' : 'bad-passphrase';
  };
  return { tryKey, seen, texts, allWiped: () => seen.length > 0 && seen.every((k) => k.every((b) => b === 0)) };
}

let creds: string;
beforeEach(() => {
  creds = mkdtempSync(join(tmpdir(), 'cryptvm-chain-'));
});
afterEach(() => rmSync(creds, { recursive: true, force: true }));

describe('unlockWithChain', () => {
  it('falls through keyfile (missing) → credential (wrong) → prompt, in configured order, and wipes every key', async () => {
    writeFileSync(join(creds, 'v'), 'not it', { mode: 0o400 });
    const asker = new FakeAsker();
    const v = volume('v', { keys: [{ kind: 'keyfile', path: join(creds, 'missing.key') }, { kind: 'credential', name: 'v' }, { kind: 'prompt' }] });
    const dev = device('typed');
    const run = unlockWithChain(ctx(v, ['g'], undefined, creds), buildSources(v, { broker: new PromptBroker(asker, { gatherMs: 0 }) }), dev.tryKey);
    (await asker.nth(0)).answer('typed');
    expect(await run).toEqual({
      opened: true,
      source: 'prompt',
      skipped: [`keyfile:${join(creds, 'missing.key')}: ${join(creds, 'missing.key')} does not exist`, 'credential:v: wrong passphrase or key'],
    });
    expect(dev.texts).toEqual(['not it', 'typed']);
    expect(dev.allWiped()).toBe(true);
  });

  it('stops at the first source that opens the volume; later sources are never asked', async () => {
    writeFileSync(join(creds, 'v'), 'cred', { mode: 0o400 });
    const v = volume('v', { keys: [{ kind: 'credential', name: 'v' }, { kind: 'prompt' }] });
    const dev = device('cred');
    const r = await unlockWithChain(ctx(v, [], undefined, creds), buildSources(v, { broker: new PromptBroker(new FakeAsker()) }), dev.tryKey);
    expect(r).toEqual({ opened: true, source: 'credential:v', skipped: [] });
    expect(dev.allWiped()).toBe(true);
  });

  it('re-asks the prompt up to volume.tries times, then reports every reason', async () => {
    const asker = new FakeAsker();
    const v = volume('v', { tries: 2, keys: [{ kind: 'keyfile', path: join(creds, 'nope') }, { kind: 'prompt' }] });
    const dev = device('never');
    const run = unlockWithChain(ctx(v), buildSources(v, { broker: new PromptBroker(asker, { gatherMs: 0 }) }), dev.tryKey);
    (await asker.nth(0)).answer('one');
    (await asker.nth(1)).answer('two');
    const r = await run;
    expect(r.opened).toBe(false);
    expect(!r.opened && r.reasons).toEqual([
      `keyfile:${join(creds, 'nope')}: ${join(creds, 'nope')} does not exist`,
      'prompt: wrong passphrase or key (attempt 1 of 2)',
      'prompt: wrong passphrase or key (attempt 2 of 2)',
    ]);
    expect(asker.asks).toHaveLength(2);
    expect(asker.asks[1]!.options.message).toContain('Wrong passphrase, try again.');
    expect(dev.allWiped()).toBe(true);
  });

  it('a source that throws is recorded and skipped; a tryKey failure propagates after wiping the key', async () => {
    const throwing: KeySource = { label: 'boom', get: () => Promise.reject(new Error('exploded')) };
    const key = Buffer.from('k');
    const fixed: KeySource = { label: 'fixed', get: async () => ({ kind: 'key', key, source: 'fixed' }) };
    const v = volume('v');
    const notLuks = new CryptvmError('NotLuks', '/dev/x is not a LUKS device');
    await expect(unlockWithChain(ctx(v), [throwing, fixed], () => Promise.reject(notLuks))).rejects.toBe(notLuks);
    expect(key.every((b) => b === 0)).toBe(true);
    const r = await unlockWithChain(ctx(v), [throwing], async () => 'ok');
    expect(r).toEqual({ opened: false, reasons: ['boom: exploded'] });
  });

  it('an aborted unlock stops before asking anything', async () => {
    const ac = new AbortController();
    ac.abort();
    const v = volume('v');
    const r = await unlockWithChain(ctx(v, [], ac.signal), buildSources(v, { broker: new PromptBroker(new FakeAsker()) }), async () => 'ok');
    expect(r).toEqual({ opened: false, reasons: ['unlock was cancelled'] });
  });

  it("accepts the cryptsetup adapter's 'opened' as success", async () => {
    const key = Buffer.from('k');
    const r = await unlockWithChain(ctx(volume('v')), [{ label: 'f', get: async () => ({ kind: 'key', key, source: 'f' }) }], async () => 'opened');
    expect(r).toEqual({ opened: true, source: 'f', skipped: [] });
    expect(key[0]).toBe(0);
  });

  it('no sources: not opened, saying so', async () => {
    expect(await unlockWithChain(ctx(volume('v')), [], async () => 'ok')).toEqual({ opened: false, reasons: ['no key sources configured'] });
  });
});

describe('buildSources for fetched keys', () => {
  it('a headless volume never gets a prompt source; token and clevis are built from their deps', () => {
    const v = volume('v', { headless: true, keys: [{ kind: 'token', tokenType: 'systemd-tpm2' }, { kind: 'prompt' }, { kind: 'clevis' }] });
    const metadata = async () => ({ version: 2 as const, tokens: [] });
    const opener = { openWithToken: () => Promise.reject(new Error('unexpected')) };
    const clevis = { bindings: () => Promise.reject(new Error('unexpected')), decrypt: () => Promise.reject(new Error('unexpected')) };
    const labels = buildSources(v, { broker: new PromptBroker(new FakeAsker()), token: { cryptsetup: { metadata }, opener }, clevis: { clevis } }).map((s) => s.label);
    expect(labels).toEqual(['token:systemd-tpm2', 'clevis']);
  });

  it('refuses a source whose dependencies the daemon did not pass', () => {
    const v = volume('v', { keys: [{ kind: 'clevis' }] });
    expect(() => buildSources(v, { broker: new PromptBroker(new FakeAsker()) })).toThrow('volume v: key source clevis is not supported by this build');
  });
});
