// Paths an unprivileged user could bend, on the real filesystem with real owners (root, nobody = 65534):
// key files and credentials (symlinks, loose or foreign parent directories), mount points (through a
// symlink, below a directory someone else can write) and a loose state_dir. Each is refused with the reason
// and the fix; the good layouts next to them still work.
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProcessRunner } from '../../../src/adapters/exec.js';
import { Mounts } from '../../../src/adapters/mount.js';
import { ConfigError, parseConfig } from '../../../src/config/index.js';
import { CredentialSource } from '../../../src/keys/credential.js';
import { KeyFileSource } from '../../../src/keys/keyfile.js';
import { ctx, volume } from '../../unit/keys/fakes.js';

const NOBODY = 65534;
const FILE = '/etc/cryptvm/cryptvm.toml';
const top = mkdtempSync(join(tmpdir(), 'cryptvm-paths-'));
afterAll(() => rmSync(top, { recursive: true, force: true }));

function dir(name: string, mode = 0o700, uid = 0): string {
  const d = join(top, name);
  mkdirSync(d, { recursive: true });
  chmodSync(d, mode);
  chownSync(d, uid, 0);
  return d;
}

function key(path: string, mode = 0o400): string {
  writeFileSync(path, 'secret\n', { mode });
  chmodSync(path, mode);
  return path;
}

function configErrors(text: string): string {
  try {
    parseConfig(text, FILE, { checkOwnership: true });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

const withKey = (path: string): string => `[[volume]]\nname = "cr_a"\ndevice = "/dev/sda"\nkeys = ["keyfile:${path}"]\n`;

describe('key files and credentials', () => {
  it('a root-owned key file in root-only directories (under sticky /tmp) loads and reads', async () => {
    const p = key(join(dir('good'), 'k'));
    expect(parseConfig(withKey(p), FILE, { checkOwnership: true }).config.volumes[0]?.keys).toEqual([{ kind: 'keyfile', path: p }]);
    expect(await new KeyFileSource(p).get(ctx(volume('v')))).toMatchObject({ kind: 'key' });
  });

  it('a symlink to a good key file: refused at load and at read', async () => {
    const target = key(join(dir('link'), 'target'));
    const link = join(top, 'link', 'k');
    symlinkSync(target, link);
    expect(configErrors(withKey(link))).toBe(`${FILE}:4: volume#1.keys: key file ${link} is a symbolic link (to ${target}): the daemon opens secrets without following links — point keyfile: at the file itself`);
    expect(await new KeyFileSource(link).get(ctx(volume('v')))).toMatchObject({ kind: 'unavailable', reason: `${link} is a symbolic link: name the file itself in the configuration` });
  });

  it('a key file in a group-writable directory: refused at load and at read', async () => {
    const d = dir('gw', 0o770);
    const p = key(join(d, 'k'));
    expect(configErrors(withKey(p))).toBe(`${FILE}:4: volume#1.keys: key file ${p} is not safe: directory ${d} has mode 0770: group/other can write it — chmod go-w ${d}`);
    expect(await new KeyFileSource(p).get(ctx(volume('v')))).toMatchObject({ reason: `${p} is not safe: directory ${d} has mode 0770: group/other can write it: run 'chmod go-w ${d}'` });
  });

  it('a key file in a directory owned by nobody (who could swap it): refused', async () => {
    const d = dir('nobody', 0o755, NOBODY);
    const p = key(join(d, 'k'));
    expect(configErrors(withKey(p))).toContain(`key file ${p} is not safe: directory ${d} is owned by uid ${NOBODY}, not root — chown root:root ${d}`);
    expect(await new KeyFileSource(p).get(ctx(volume('v')))).toMatchObject({ reason: expect.stringContaining(`directory ${d} is owned by uid ${NOBODY}, not root`) });
  });

  it('a root-only path that resolves through a symlinked directory into a directory nobody owns: refused', async () => {
    const evil = dir('evil', 0o755, NOBODY);
    key(join(evil, 'k'));
    const via = join(dir('via'), 'keys');
    symlinkSync(evil, via);
    expect(await new KeyFileSource(join(via, 'k')).get(ctx(volume('v')))).toMatchObject({ reason: expect.stringContaining(`directory ${evil} is owned by uid ${NOBODY}, not root`) });
  });

  it('credentials: read from a root-only directory; a symlink, a loose file or a loose directory is refused', async () => {
    const creds = dir('creds', 0o500);
    chmodSync(creds, 0o700);
    key(join(creds, 'good'));
    key(join(creds, 'loose'), 0o644);
    symlinkSync(join(creds, 'good'), join(creds, 'link'));
    chmodSync(creds, 0o500);
    const c = ctx(volume('v'), [], undefined, creds);
    expect(await new CredentialSource('good').get(c)).toMatchObject({ kind: 'key' });
    expect(await new CredentialSource('link').get(c)).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining('is a symbolic link') });
    expect(await new CredentialSource('loose').get(c)).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining('has mode 0644') });
    const open = dir('opencreds', 0o777);
    chmodSync(open, 0o777);
    key(join(open, 'good'));
    expect(await new CredentialSource('good').get(ctx(volume('v'), [], undefined, open))).toMatchObject({ reason: expect.stringContaining(`directory ${open} has mode 0777: group/other can write it`) });
  });
});

describe('mount points', () => {
  const m = new Mounts({}, new ProcessRunner());
  it('through a symlink: refused before anything is created or mounted', async () => {
    const real = dir('mnt-real');
    const link = join(dir('mnt-via'), 'images');
    symlinkSync(real, link);
    await expect(m.mount('cryptvm-test', join(link, 'secure'), { type: 'tmpfs' })).rejects.toThrow(`mount point ${join(link, 'secure')} is not safe: ${link} is a symbolic link — set mount.where to the real path (realpath)`);
    expect(() => statSync(join(real, 'secure'))).toThrow();
    expect(m.isMounted(join(real, 'secure'))).toBe(false);
  });

  it('below a directory nobody owns: refused', async () => {
    const d = dir('mnt-nobody', 0o755, NOBODY);
    await expect(m.mount('cryptvm-test', join(d, 'secure'), { type: 'tmpfs' })).rejects.toThrow(`mount point ${join(d, 'secure')} is not safe: directory ${d} is owned by uid ${NOBODY}, not root — chown root:root ${d}`);
    expect(m.isMounted(join(d, 'secure'))).toBe(false);
  });

  it('an existing mount point that others can write: refused', async () => {
    const d = dir('mnt-open/secure', 0o777);
    chmodSync(d, 0o777);
    await expect(m.mount('cryptvm-test', d, { type: 'tmpfs' })).rejects.toThrow(`mount point ${d} is not safe: directory ${d} has mode 0777: group/other can write it — chmod go-w ${d}`);
  });
});

describe('state_dir', () => {
  it('a loose state directory is refused at load with the chmod fix, and left as it was', () => {
    const d = dir('state', 0o755);
    chmodSync(d, 0o755);
    expect(configErrors(`[daemon]\nstate_dir = "${d}"\n`)).toBe(`${FILE}:2: daemon.state_dir: state directory ${d} has mode 0755: group/other can access it — chmod 0700 ${d}`);
    expect(statSync(d).mode & 0o777).toBe(0o755);
  });

  it('a state directory owned by nobody, or below one, is refused; a private one loads', () => {
    const d = dir('state-nobody', 0o700, NOBODY);
    expect(configErrors(`[daemon]\nstate_dir = "${d}"\n`)).toContain(`state directory ${d} is owned by uid ${NOBODY}, not root`);
    const below = dir('state-nobody/below', 0o700);
    expect(configErrors(`[daemon]\nstate_dir = "${below}"\n`)).toContain(`state directory ${below} is not safe: directory ${d} is owned by uid ${NOBODY}, not root`);
    const ok = dir('state-ok', 0o700);
    expect(parseConfig(`[daemon]\nstate_dir = "${ok}"\n`, FILE, { checkOwnership: true }).config.daemon.stateDir).toBe(ok);
  });
});
