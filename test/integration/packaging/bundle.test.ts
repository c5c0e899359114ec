// `node scripts/bundle.mjs`: one executable ESM file each for the daemon and the CLI, with the version from
// package.json, that start on Node 18.19 (Debian 12's nodejs) and on Node 20 from a directory with no
// node_modules anywhere above it — the way the .deb installs them.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { node18, REPO, run } from './tools.js';

const version = (JSON.parse(readFileSync(resolve(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const n18 = node18();
if ('reason' in n18) console.warn(`SKIPPED Node 18 runs in test/integration/packaging/bundle.test.ts: ${n18.reason}`);

describe('bundle', () => {
  const out = mkdtempSync(join(tmpdir(), 'cryptvm-bundle-'));
  beforeAll(() => {
    const r = run(process.execPath, [resolve(REPO, 'scripts/bundle.mjs'), '--outdir', out, '--quiet'], { timeoutMs: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it.each(['cryptvmd.mjs', 'cryptvm.mjs'])('%s is executable, starts with the node shebang and a require for CJS deps', (name) => {
    const file = join(out, name);
    expect(statSync(file).mode & 0o777).toBe(0o755);
    const [shebang, imp, req] = readFileSync(file, 'utf8').split('\n');
    expect(shebang).toBe('#!/usr/bin/node');
    expect(imp).toMatch(/^import \{ createRequire as \w+ \} from 'node:module';$/);
    expect(req).toMatch(/^const require = \w+\(import\.meta\.url\);$/);
  });

  it('replaces __CRYPTVM_VERSION__ with the version from package.json', () => {
    for (const name of ['cryptvmd.mjs', 'cryptvm.mjs']) {
      const text = readFileSync(join(out, name), 'utf8');
      expect(text).not.toContain('__CRYPTVM_VERSION__');
      expect(text).toContain(JSON.stringify(version));
    }
  });

  it('rejects unknown arguments with exit 2', () => {
    const r = run(process.execPath, [resolve(REPO, 'scripts/bundle.mjs'), '--bogus']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown argument "--bogus"/);
  });

  const runtimes: [string, string | undefined][] = [
    ['Node 18.19', 'path' in n18 ? n18.path : undefined],
    [`Node ${process.versions.node}`, process.execPath],
  ];
  describe.each(runtimes)('on %s', (label, node) => {
    it.skipIf(node === undefined).each([
      ['cryptvmd.mjs', 'cryptvmd'],
      ['cryptvm.mjs', 'cryptvm'],
    ])('%s --version exits 0 and prints the version', (file, _name) => {
      // cwd = the bundle's own directory: no node_modules there or above (/tmp).
      const r = run(node as string, [join(out, file), '--version'], { cwd: out, env: { PATH: process.env.PATH } });
      expect(r.status, `${label}: ${r.stderr}`).toBe(0);
      expect(r.stdout.trim()).toMatch(new RegExp(`(^|\\s)${version.replace(/\./g, '\\.')}$`));
    });
  });
});
