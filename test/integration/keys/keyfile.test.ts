// Key files and credentials on the real filesystem (ownership checks need root to chown).
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyFileSource } from '../../../src/keys/keyfile.js';
import { CredentialSource } from '../../../src/keys/credential.js';
import type { KeyContext } from '../../../src/keys/types.js';
import { ctx, volume } from '../../unit/keys/fakes.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('SKIPPED key file ownership tests: they need root (chown)');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cryptvm-keys-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function keyFile(name: string, data: Buffer | string, mode: number, uid = 0): string {
  const p = join(dir, name);
  writeFileSync(p, data, { mode });
  chmodSync(p, mode);
  chownSync(p, uid, 0);
  return p;
}

const c: KeyContext = ctx(volume('v'));

describe.skipIf(!isRoot)('keyfile source', () => {
  it('reads a root-owned 0400 file byte-exact, trailing newline and binary bytes kept', async () => {
    const data = Buffer.from([0x00, 0xff, 0x20, 0x0a, 0x41, 0x0a]);
    const p = keyFile('ok.key', data, 0o400);
    const got = await new KeyFileSource(p).get(c);
    expect(got.kind).toBe('key');
    expect(got.kind === 'key' && got.key.equals(data)).toBe(true);
    expect(got.source).toBe(`keyfile:${p}`);
  });

  it('refuses a symlink even to a good file (O_NOFOLLOW: the configuration names the file itself)', async () => {
    const p = keyFile('target.key', 'abc', 0o600);
    symlinkSync(p, join(dir, 'link.key'));
    const got = await new KeyFileSource(join(dir, 'link.key')).get(c);
    expect(got).toMatchObject({ kind: 'unavailable', reason: `${join(dir, 'link.key')} is a symbolic link: name the file itself in the configuration` });
  });

  it('refuses a group/world readable file with the path and the chmod fix', async () => {
    const p = keyFile('open.key', 'secret', 0o644);
    expect(await new KeyFileSource(p).get(c)).toEqual({ kind: 'unavailable', source: `keyfile:${p}`, reason: `${p} has mode 0644, readable or writable by group/others: run 'chmod 0400 ${p}'` });
  });

  it('refuses a file not owned by root', async () => {
    const p = keyFile('nobody.key', 'secret', 0o400, 65534);
    const got = await new KeyFileSource(p).get(c);
    expect(got).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining(`owned by uid 65534, not root: run 'chown root:root ${p}'`) });
  });

  it('a missing file, a directory, an empty file are unavailable with their reason', async () => {
    const missing = join(dir, 'missing.key');
    expect(await new KeyFileSource(missing).get(c)).toMatchObject({ kind: 'unavailable', reason: `${missing} does not exist` });
    mkdirSync(join(dir, 'd'), { mode: 0o700 });
    expect(await new KeyFileSource(join(dir, 'd')).get(c)).toMatchObject({ reason: expect.stringContaining('not a regular file') });
    const empty = keyFile('empty.key', '', 0o400);
    expect(await new KeyFileSource(empty).get(c)).toMatchObject({ reason: `${empty} is empty` });
  });
});

describe('credential source', () => {
  it('reads $CREDENTIALS_DIRECTORY/<name> byte-exact', async () => {
    const creds = mkdtempSync(join(tmpdir(), 'cryptvm-creds-'));
    try {
      writeFileSync(join(creds, 'cr_images'), 'pass\n', { mode: 0o400 });
      const got = await new CredentialSource('cr_images').get(ctx(volume('v'), [], undefined, creds));
      expect(got).toMatchObject({ kind: 'key', source: 'credential:cr_images' });
      expect(got.kind === 'key' && got.key.toString()).toBe('pass\n');
      const missing = await new CredentialSource('other').get(ctx(volume('v'), [], undefined, creds));
      expect(missing).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining("no credential 'other'") });
    } finally {
      rmSync(creds, { recursive: true, force: true });
    }
  });

  it('no $CREDENTIALS_DIRECTORY: unavailable, saying how to add one', async () => {
    const got = await new CredentialSource('x').get(ctx(volume('v')));
    expect(got).toEqual({
      kind: 'unavailable',
      source: 'credential:x',
      reason: "no credential 'x' ($CREDENTIALS_DIRECTORY is not set): add LoadCredential=x:/path or LoadCredentialEncrypted=x:/path to a drop-in for cryptvm.service",
    });
  });

  it('refuses names that would leave the directory', async () => {
    expect(await new CredentialSource('../etc/shadow').get(ctx(volume('v'), [], undefined, '/tmp'))).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining('invalid credential name') });
  });
});
