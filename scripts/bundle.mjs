#!/usr/bin/env node
// `npm run build`: bundles the daemon and the CLI into one ESM file each, so they run on the distribution's own
// Node.js (18.19+ on Debian 12) with no node_modules next to them.
//
//   node scripts/bundle.mjs [--outdir DIR] [--quiet]
//
// - dist/cryptvmd.mjs ← src/bin/cryptvmd.ts, dist/cryptvm.mjs ← src/bin/cryptvm.ts, both mode 0755.
// - The version comes from package.json and is injected as the global identifier __CRYPTVM_VERSION__ (a string
//   literal after bundling). Source code declares it with `declare const __CRYPTVM_VERSION__: string;` and reads
//   it as `typeof __CRYPTVM_VERSION__ === 'string' ? __CRYPTVM_VERSION__ : 'dev'` so unbundled runs (vitest) work.
// - x11, usocket and abstract-socket are optional dependencies of dbus-next that are loaded with require() inside
//   try/catch; they stay external, and at run time their absence is the normal case.
// - The banner gives CJS dependencies a real `require` (esbuild's ESM output otherwise throws "Dynamic require
//   of … is not supported" for node: builtins required from CJS code).
import { build } from 'esbuild';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
  const opts = { outdir: join(root, 'dist'), quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--outdir' && argv[i + 1]) opts.outdir = resolve(argv[++i]);
    else if (a === '--quiet') opts.quiet = true;
    else {
      console.error(`bundle.mjs: unknown argument ${JSON.stringify(a)}; usage: bundle.mjs [--outdir DIR] [--quiet]`);
      process.exit(2);
    }
  }
  return opts;
}

const ENTRIES = [
  { in: 'src/bin/cryptvmd.ts', out: 'cryptvmd.mjs' },
  { in: 'src/bin/cryptvm.ts', out: 'cryptvm.mjs' },
];

const EXTERNALS = ['x11', 'usocket', 'abstract-socket'];

const BANNER = [
  '#!/usr/bin/node',
  "import { createRequire as __cryptvmCreateRequire } from 'node:module';",
  'const require = __cryptvmCreateRequire(import.meta.url);',
].join('\n');

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  for (const entry of ENTRIES) {
    const outfile = join(opts.outdir, entry.out);
    const result = await build({
      absWorkingDir: root,
      entryPoints: [join(root, entry.in)],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node18.19',
      format: 'esm',
      minify: true,
      legalComments: 'none',
      external: EXTERNALS,
      banner: { js: BANNER },
      define: { __CRYPTVM_VERSION__: JSON.stringify(version) },
      logLevel: opts.quiet ? 'error' : 'warning',
    });
    if (result.errors.length > 0) process.exit(1);
    chmodSync(outfile, 0o755);
    if (!opts.quiet) {
      const kb = (statSync(outfile).size / 1024).toFixed(1);
      console.log(`${outfile.replace(root + '/', '')}  ${kb} KB  (version ${version})`);
    }
  }
}

main().catch((err) => {
  // esbuild already printed the diagnostics; keep the exit status meaningful for npm run build.
  console.error(`bundle.mjs: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  process.exit(1);
});
