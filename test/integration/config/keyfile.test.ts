// Key files and the config file itself, checked on real files with real owners and modes (needs root to
// chown). Like systemd-cryptsetup: a key readable by anyone but root refuses the whole file.

import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../../../src/config/index.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('SKIPPED test/integration/config/keyfile.test.ts: needs root to chown files');

const FILE = '/etc/cryptvm/cryptvm.toml';
const dir = mkdtempSync(join(tmpdir(), 'cryptvm-keyfile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function keyFile(name: string, mode: number, uid = 0): string {
  const path = join(dir, name);
  writeFileSync(path, 'secret\n');
  chownSync(path, uid, 0);
  chmodSync(path, mode);
  return path;
}

const volumeWithKey = (path: string): string =>
  `[daemon]\n\n[[volume]]\nname = "cr_a"\ndevice = "/dev/sda"\nkeys = ["prompt", "keyfile:${path}"]\n`;

function refusal(text: string): string {
  try {
    parseConfig(text, FILE);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).problems.every((p) => p.line === 6)).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe.skipIf(!isRoot)('key files', () => {
  it('accepts a root-owned key file with mode 0400 or 0600', () => {
    for (const mode of [0o400, 0o600]) {
      const path = keyFile(`ok-${mode.toString(8)}.key`, mode);
      const { config } = parseConfig(volumeWithKey(path), FILE);
      expect(config.volumes[0]?.keys).toEqual([{ kind: 'prompt' }, { kind: 'keyfile', path }]);
    }
  });

  it('refuses a key file group/other can read, naming its mode and the fix', () => {
    const path = keyFile('loose.key', 0o644);
    expect(refusal(volumeWithKey(path))).toBe(
      `${FILE}:6: volume#1.keys: key file ${path} has mode 0644: group/other can access it — chown root:root ${path} && chmod 0400 ${path}`,
    );
  });

  it('refuses a key file not owned by root', () => {
    const path = keyFile('nobody.key', 0o400, 65534);
    expect(refusal(volumeWithKey(path))).toBe(
      `${FILE}:6: volume#1.keys: key file ${path} is owned by uid 65534, not root — chown root:root ${path} && chmod 0400 ${path}`,
    );
  });

  it('refuses a missing key file', () => {
    const path = join(dir, 'missing.key');
    expect(refusal(volumeWithKey(path))).toBe(`${FILE}:6: volume#1.keys: key file ${path} does not exist — create it or correct the path`);
  });

  it('refuses a key file that is a directory', () => {
    const path = join(dir, 'a-directory');
    mkdirSync(path, { mode: 0o700 });
    expect(refusal(volumeWithKey(path))).toBe(`${FILE}:6: volume#1.keys: key file ${path} is not a regular file — point keyfile: at a regular file`);
  });
});

describe.skipIf(!isRoot)('the config file itself', () => {
  function configFile(name: string, mode: number, uid = 0): string {
    const path = join(dir, name);
    writeFileSync(path, '[daemon]\nparallel_shutdown = 2\n');
    chownSync(path, uid, 0);
    chmodSync(path, mode);
    return path;
  }

  it('loads a root-owned 0644 file', () => {
    const path = configFile('ok.toml', 0o644);
    expect(loadConfig(path).config.daemon.parallelShutdown).toBe(2);
  });

  it('refuses a file group/other can write, since its writer picks the devices and keys', () => {
    const path = configFile('loose.toml', 0o664);
    expect(() => loadConfig(path)).toThrow(
      `${path}: (file): has mode 0664: group/other can write it — chown root:root ${path} && chmod 0644 ${path}`,
    );
  });

  it('refuses a file not owned by root, unless ownership checks are off', () => {
    const path = configFile('nobody.toml', 0o644, 65534);
    expect(() => loadConfig(path)).toThrow(`${path}: (file): is owned by uid 65534, not root — chown root:root ${path} && chmod 0644 ${path}`);
    expect(loadConfig(path, { checkOwnership: false }).config.daemon.parallelShutdown).toBe(2);
  });

  it('names a missing file', () => {
    const path = join(dir, 'nope.toml');
    expect(() => loadConfig(path)).toThrow(`${path}: (file): cannot read the configuration (ENOENT) — create it or correct the path`);
  });
});
