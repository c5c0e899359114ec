// Builds the CLI the way scripts/bundle.mjs does (one ESM file, CJS deps get a real `require`), into a temp
// dir, so subprocess tests run the program users run — without depending on the daemon entry building.
import { build } from 'esbuild';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../../..');

export async function buildCli(): Promise<string> {
  const outfile = join(mkdtempSync(join(tmpdir(), 'cryptvm-cli-')), 'cryptvm.mjs');
  await build({
    absWorkingDir: root,
    entryPoints: [join(root, 'src/cli/main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node18.19',
    format: 'esm',
    external: ['x11', 'usocket', 'abstract-socket'],
    define: { __CRYPTVM_VERSION__: JSON.stringify('9.9.9-test') },
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'error',
  });
  return outfile;
}
