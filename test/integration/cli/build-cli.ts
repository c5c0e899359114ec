// Builds the CLI the way scripts/bundle.mjs does (one ESM file, CJS deps get a real `require`), into a temp
// dir, so subprocess tests run the program users run — without depending on the daemon entry building.
import { build } from 'esbuild';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../../..');

export async function buildCli(): Promise<string> {
  const outfile = join(mkdtempSync(join(tmpdir(), 'cryptvm-cli-')), 'cryptvm.mjs');
  await build({
    absWorkingDir: root,
    entryPoints: [join(root, 'src/bin/cryptvm.ts')],
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

export interface CliOut {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the bundled CLI as a subprocess; resolves with its exit code and output (never rejects). */
export function runCli(cli: string, env: NodeJS.ProcessEnv, args: string[]): Promise<CliOut> {
  return new Promise((resolve) => {
    execFile('node', [cli, ...args], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
