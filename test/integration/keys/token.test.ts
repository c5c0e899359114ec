// The token source against real LUKS2 headers and the real cryptsetup token plugins. This host has no TPM and
// no device-mapper, so the plugin path runs with --test-passphrase: a systemd-tpm2 token imported into the
// header is tried by libcryptsetup-token-systemd-tpm2 for real and must end in a clear 'unavailable'.
// Not testable here (the lab VM needs swtpm): a token that actually opens, a PCR mismatch, a FIDO2 timeout.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cryptsetup } from '../../../src/adapters/cryptsetup.js';
import { CryptsetupToken } from '../../../src/adapters/cryptsetup-token.js';
import { ProcessRunner } from '../../../src/adapters/exec.js';
import { TokenSource } from '../../../src/keys/token.js';
import { FakeRunner } from '../../helpers/fake-runner.js';
import { hasCryptsetup, makeLuksFile, tempDir } from '../../helpers/luks.js';
import { ctx, volume } from '../../unit/keys/fakes.js';

const missing = hasCryptsetup() ? undefined : 'cryptsetup not installed';
if (missing) console.warn(`SKIPPED token integration tests: ${missing}`);

const runner = new ProcessRunner();
const cryptsetup = new Cryptsetup(runner);
const KEY = Buffer.from('pw');
const TPM2_TOKEN = {
  type: 'systemd-tpm2',
  keyslots: ['0'],
  'tpm2-blob': 'AAAA',
  'tpm2-pcrs': [7],
  'tpm2-pcr-bank': 'sha256',
  'tpm2-primary-alg': 'ecc',
  'tpm2-policy-hash': '0'.repeat(64),
  'tpm2-pin': false,
};

describe.skipIf(missing !== undefined)('token source with real LUKS2 headers', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let plain: string;
  let withToken: string;
  const vctx = (device: string, tokenTimeoutMs = 5000) => ({ ...ctx(volume('cr_tok', { tokenTimeoutMs })), device });

  beforeAll(async () => {
    tmp = await tempDir('cryptvm-token-');
    plain = await makeLuksFile(join(tmp.dir, 'plain.img'), { key: KEY });
    withToken = await makeLuksFile(join(tmp.dir, 'token.img'), { key: KEY });
    await writeFile(join(tmp.dir, 'token.json'), JSON.stringify(TPM2_TOKEN));
    const r = await runner.run('cryptsetup', ['token', 'import', '--json-file', join(tmp.dir, 'token.json'), withToken]);
    if (r.exitCode !== 0) throw new Error(`${r.command}: ${r.stderr}`);
  }, 60_000);
  afterAll(() => tmp?.cleanup());

  it('no token in the header: unavailable with the enroll hint, and cryptsetup open is never run', async () => {
    const opener = new CryptsetupToken(new FakeRunner()); // throws on any call
    const r = await new TokenSource({ cryptsetup, opener }, undefined).get(vctx(plain));
    expect(r).toEqual({ kind: 'unavailable', source: 'token', reason: `no LUKS2 token (enroll one with systemd-cryptenroll --tpm2-device=auto ${plain})` });
  });

  it('a token of another type than configured: unavailable, nothing run', async () => {
    const opener = new CryptsetupToken(new FakeRunner());
    const r = await new TokenSource({ cryptsetup, opener }, 'systemd-fido2').get(vctx(withToken));
    expect(r).toEqual({ kind: 'unavailable', source: 'token:systemd-fido2', reason: `no LUKS2 token of type systemd-fido2 (enroll one with systemd-cryptenroll --tpm2-device=auto ${withToken})` });
  });

  it('a systemd-tpm2 token with no TPM: the real plugin runs (--test-passphrase) and the source falls through clearly', async () => {
    let exclusive = 0;
    const c = { ...vctx(withToken), runExclusive: async <T>(fn: () => Promise<T>) => (exclusive++, fn()) };
    const source = new TokenSource({ cryptsetup, opener: new CryptsetupToken(runner), test: true }, 'systemd-tpm2');
    const r = await source.get(c);
    expect(r).toMatchObject({ kind: 'unavailable', source: 'token:systemd-tpm2', reason: expect.stringMatching(/^token failed: .+ \[token systemd-tpm2\]$/) });
    expect(exclusive).toBe(1);
  });

  it('the real plugin path reports what cryptsetup said (this host: no TPM2 support)', async () => {
    const r = await new CryptsetupToken(runner).openWithToken(withToken, 'cr_tok', { tokenType: 'systemd-tpm2', timeoutMs: 5000, test: true });
    expect(r.result).toBe('failed');
    // The Debian plugin without libtss2/a TPM says so; in a VM with a TPM but another PCR state it says that.
    expect(r).toMatchObject({ reason: expect.stringMatching(/TPM2|tpm2|TPM/) });
  });

  it('no token at all, asked directly: cryptsetup says no usable token', async () => {
    const r = await new CryptsetupToken(runner).openWithToken(plain, 'cr_tok', { timeoutMs: 5000, test: true });
    expect(r).toEqual({ result: 'no-token', reason: 'cryptsetup found no usable token (no plugin for its type, or none of that type)' });
  });
});
