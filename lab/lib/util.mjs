// Small shared helpers for the lab scripts: paths, hashing, running programs, logging.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync, mkdirSync, existsSync, rmSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LAB = dirname(dirname(fileURLToPath(import.meta.url)));
export const ROOT = dirname(LAB);
export const CACHE = process.env.CRYPTVM_LAB_CACHE ?? join(ROOT, '.cache', 'lab');
mkdirSync(CACHE, { recursive: true });

const t0 = Date.now();
export const elapsed = () => ((Date.now() - t0) / 1000).toFixed(1);
export function log(...args) {
  process.stderr.write(`[lab ${elapsed()}s] ${args.join(' ')}\n`);
}

/** Run a program (no shell); resolve with stdout, reject with a message quoting the command. */
export function run(file, args, { input, cwd, env, quiet = false, allowFail = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, env: env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; if (!quiet) process.stderr.write(d); });
    child.on('error', (e) => reject(new Error(`cannot run ${file}: ${e.message}`)));
    child.on('close', (code) => {
      if (code === 0 || allowFail) resolve({ code, stdout: out, stderr: err });
      else reject(new Error(`${file} ${args.join(' ')} exited ${code}\n${err.slice(-2000)}`));
    });
    child.stdin.on('error', () => {}); // a child that never reads its stdin is fine
    child.stdin.end(input ?? '');
  });
}

/** sha256 over the named files/directories (recursively, sorted) plus extra strings. */
export function hashInputs(paths, extra = []) {
  const h = createHash('sha256');
  const visit = (p) => {
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const e of readdirSync(p).sort()) visit(join(p, e));
    } else {
      h.update(relative(ROOT, p) + '\0');
      h.update(readFileSync(p));
      h.update('\0');
    }
  };
  for (const p of paths) if (existsSync(p)) visit(p);
  for (const s of extra) h.update(String(s) + '\0');
  return h.digest('hex').slice(0, 16);
}

/** Keep only the `keep` newest entries of CACHE whose names match `re` (old root images, old runs). */
export function prune(dir, re, keep) {
  const entries = readdirSync(dir).filter((f) => re.test(f))
    .map((f) => ({ f, m: statSync(join(dir, f)).mtimeMs })).sort((a, b) => b.m - a.m);
  for (const { f } of entries.slice(keep)) rmSync(join(dir, f), { recursive: true, force: true });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
