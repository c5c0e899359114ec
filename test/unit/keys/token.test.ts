// The token source and cryptsetup --token-only adapter with a fake runner: the exact argv, how each outcome
// maps, and that the chain takes 'opened' as success without ever holding a key.
import { describe, expect, it } from 'vitest';
import { CryptsetupToken, tokenOpenArgs } from '../../../src/adapters/cryptsetup-token.js';
import { SpawnError } from '../../../src/adapters/exec.js';
import { unlockWithChain } from '../../../src/keys/chain.js';
import { TokenSource } from '../../../src/keys/token.js';
import { FakeRunner } from '../../helpers/fake-runner.js';
import { ctx, volume } from './fakes.js';

const OPEN = ['open', '--token-only', '--token-type', 'systemd-tpm2', '--type', 'luks', '--allow-discards', '--readonly', '--header', '/etc/h.img', '-v', '--', '/dev/vg/cr_t', 'cr_t'];
const header = (types: string[]) => ({ metadata: async () => ({ version: 2 as const, tokens: types.map((type, id) => ({ id, type, keyslots: [id] })) }) });

describe('cryptsetup open --token-only', () => {
  it('builds the open argv: token type, discard, readonly, detached header, device, name', () => {
    expect(tokenOpenArgs('/dev/vg/cr_t', 'cr_t', { tokenType: 'systemd-tpm2', discard: true, readonly: true, header: '/etc/h.img' })).toEqual(OPEN);
    expect(tokenOpenArgs('/dev/sda', 'cr_a', { test: true })).toEqual(['open', '--token-only', '--test-passphrase', '-v', '--', '/dev/sda']);
  });

  it.each([
    [{ exitCode: 0 }, { result: 'opened' }],
    [{ exitCode: 1, stdout: 'No usable token is available.\nCommand failed with code -1 (wrong or missing parameters).\n' }, { result: 'no-token', reason: 'cryptsetup found no usable token (no plugin for its type, or none of that type)' }],
    [{ exitCode: 1, stderr: 'Failed to unseal secret using TPM2: State not recoverable\n', stdout: 'Command failed with code -1.\n' }, { result: 'failed', reason: 'token failed: Failed to unseal secret using TPM2: State not recoverable' }],
    [{ exitCode: 2, stdout: 'No key available with this passphrase.\n' }, { result: 'failed', reason: "the token's key opens no keyslot" }],
    [new SpawnError('timed out', 'cryptsetup open', 'timeout'), { result: 'failed', reason: 'no token device answered within 30s (token_timeout)' }],
  ])('maps %j', async (reply, expected) => {
    const runner = new FakeRunner().expect({ file: 'cryptsetup', args: OPEN, reply });
    const r = await new CryptsetupToken(runner).openWithToken('/dev/vg/cr_t', 'cr_t', { tokenType: 'systemd-tpm2', discard: true, readonly: true, header: '/etc/h.img', timeoutMs: 30_000 });
    expect(r).toEqual(expected);
    expect(runner.calls[0]?.options.timeoutMs).toBe(30_000);
    expect(runner.calls[0]?.input).toBeUndefined();
  });

  it('throws on a device problem (exit 5: the mapping exists), naming the volume', async () => {
    const runner = new FakeRunner().expect({ file: 'cryptsetup', args: () => true, reply: { exitCode: 5, stderr: 'Device cr_t already exists.\n' } });
    await expect(new CryptsetupToken(runner).openWithToken('/dev/vg/cr_t', 'cr_t', { timeoutMs: 1000 })).rejects.toMatchObject({ code: 'MappingConflict', volume: 'cr_t' });
  });
});

describe('TokenSource', () => {
  const v = volume('cr_t', { keys: [{ kind: 'token', tokenType: 'systemd-tpm2' }], discard: true, readonly: true, header: '/etc/h.img', tokenTimeoutMs: 7000 });
  const c = { ...ctx(v), device: '/dev/vg/cr_t' };

  it('opens the volume itself; the chain reports it with the earlier skips and never calls tryKey', async () => {
    const runner = new FakeRunner().expect({ file: 'cryptsetup', args: OPEN, reply: { exitCode: 0 } });
    const token = new TokenSource({ cryptsetup: header(['systemd-tpm2']), opener: new CryptsetupToken(runner) }, 'systemd-tpm2');
    const before = { label: 'keyfile:/k', get: async () => ({ kind: 'unavailable' as const, source: 'keyfile:/k', reason: 'gone' }) };
    const r = await unlockWithChain(c, [before, token], () => Promise.reject(new Error('no key must be tried')));
    expect(r).toEqual({ opened: true, source: 'token:systemd-tpm2', skipped: ['keyfile:/k: gone'] });
    expect(runner.calls[0]?.options.timeoutMs).toBe(7000);
  });

  it('ignores clevis tokens when any type is wanted: unavailable without running cryptsetup', async () => {
    const r = await new TokenSource({ cryptsetup: header(['clevis']), opener: new CryptsetupToken(new FakeRunner()) }, undefined).get(c);
    expect(r).toEqual({ kind: 'unavailable', source: 'token', reason: 'no LUKS2 token (enroll one with systemd-cryptenroll --tpm2-device=auto /dev/vg/cr_t)' });
  });

  it('a failing token falls through with its reason and type', async () => {
    const runner = new FakeRunner().expect({ file: 'cryptsetup', args: () => true, reply: { exitCode: 1, stderr: 'TPM2 support is not installed.\n' } });
    const r = await new TokenSource({ cryptsetup: header(['systemd-tpm2', 'systemd-fido2']), opener: new CryptsetupToken(runner) }, undefined).get(c);
    expect(r).toEqual({ kind: 'unavailable', source: 'token', reason: 'token failed: TPM2 support is not installed. [token systemd-tpm2, systemd-fido2]' });
  });

  it('LUKS1 has no tokens', async () => {
    const luks1 = { metadata: async () => ({ version: 1 as const, tokens: [] }) };
    const r = await new TokenSource({ cryptsetup: luks1, opener: new CryptsetupToken(new FakeRunner()) }, undefined).get(c);
    expect(r).toMatchObject({ kind: 'unavailable', reason: 'LUKS1 headers hold no tokens (convert with cryptsetup convert --type luks2)' });
  });
});
