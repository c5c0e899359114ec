// The manual pages render without groff warnings and pass mandoc's lint (as lintian's manpage checks would),
// and cryptvm(8) covers every command and option the CLI's --help lists.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasProgram, REPO, run } from './tools.js';

const PAGES = ['cryptvm.8', 'cryptvmd.8', 'cryptvm.toml.5'];
const noGroff = hasProgram('groff') ? undefined : 'groff is not installed (apt-get install groff)';
const noMandoc = hasProgram('mandoc') ? undefined : 'mandoc is not installed (apt-get install mandoc)';
for (const r of [noGroff, noMandoc]) if (r) console.warn(`SKIPPED part of test/integration/packaging/manpages.test.ts: ${r}`);

describe('manual pages', () => {
  it.skipIf(noGroff !== undefined).each(PAGES)('%s renders with groff -ww without warnings', (page) => {
    const r = run('groff', ['-man', '-Tutf8', '-ww', '-z', resolve(REPO, 'docs/man', page)]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(noMandoc !== undefined).each(PAGES)('%s passes mandoc -Tlint', (page) => {
    const r = run('mandoc', ['-Tlint', resolve(REPO, 'docs/man', page)]);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('cryptvm(8) documents every command and option of the CLI help', () => {
    // the CLI as built now, into a scratch directory (dist/ belongs to `npm run build`)
    const out = mkdtempSync(join(tmpdir(), 'cryptvm-man-cli-'));
    const built = run(process.execPath, [resolve(REPO, 'scripts/bundle.mjs'), '--outdir', out, '--quiet'], { timeoutMs: 120_000 });
    expect(built.status, built.stderr).toBe(0);
    const bundle = join(out, 'cryptvm.mjs');
    const page = readFileSync(resolve(REPO, 'docs/man/cryptvm.8'), 'utf8').replace(/\\-/g, '-');
    const usage = run(process.execPath, [bundle, '--help']);
    expect(usage.status, usage.stderr).toBe(0);
    const commands = [...usage.stdout.matchAll(/^ {2}([a-z][a-z-]+) {2,}/gm)].map((m) => m[1] as string);
    expect(commands.length).toBeGreaterThan(5);
    for (const c of commands) expect(page, c).toMatch(new RegExp(`^\\.B(R)? "?${c}\\b`, 'm'));
    const options = new Set(commands.flatMap((c) => [...run(process.execPath, [bundle, c, '--help']).stdout.matchAll(/--[a-z][a-z-]+/g)].map((m) => m[0])));
    for (const o of options) expect(page, o).toContain(o);
    rmSync(out, { recursive: true, force: true });
  });
});
