// Real LUKS test files made with the real cryptsetup (no device-mapper needed): pbkdf2 with 1000 iterations
// by default, so a keyslot costs milliseconds. Keys are Buffers and go on stdin.
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { ProcessRunner } from '../../src/adapters/exec.js';

export interface LuksFileOptions {
  key: Buffer;
  type?: 'luks1' | 'luks2';
  uuid?: string;
  pbkdf?: 'pbkdf2' | 'argon2id' | 'argon2i';
  /** argon2 memory (KiB) and parallel threads. */
  memoryKiB?: number;
  parallel?: number;
  /** Forced iterations (argon2: time cost). */
  iterations?: number;
  /** Data offset is 16 MiB for LUKS2: the file must be larger. */
  sizeMiB?: number;
}

const runner = new ProcessRunner();

export function hasCryptsetup(): boolean {
  try {
    execFileSync('cryptsetup', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function tempDir(prefix = 'cryptvm-luks-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

function pbkdfArgs(o: Omit<LuksFileOptions, 'key'>): string[] {
  const pbkdf = o.pbkdf ?? 'pbkdf2';
  const args = ['--pbkdf', pbkdf, '--pbkdf-force-iterations', String(o.iterations ?? (pbkdf === 'pbkdf2' ? 1000 : 4))];
  if (pbkdf !== 'pbkdf2') args.push('--pbkdf-memory', String(o.memoryKiB ?? 32768), '--pbkdf-parallel', String(o.parallel ?? 1));
  return args;
}

async function must(args: string[], input: Buffer): Promise<void> {
  const r = await runner.run('cryptsetup', args, { input, secret: true, timeoutMs: 120_000 });
  if (r.exitCode !== 0) throw new Error(`${r.command} failed (${r.exitCode}): ${r.stderr}`);
}

/** Formats a new LUKS file at `path` with `key` in keyslot 0. */
export async function makeLuksFile(path: string, o: LuksFileOptions): Promise<string> {
  await writeFile(path, '');
  await truncate(path, (o.sizeMiB ?? 20) * 1024 * 1024);
  const args = ['luksFormat', '--batch-mode', '--type', o.type ?? 'luks2', ...pbkdfArgs(o), '--key-slot', '0'];
  if (o.uuid) args.push('--uuid', o.uuid);
  await must([...args, '--key-file=-', path], o.key);
  return path;
}

/** Adds `newKey` in `slot`, authorised by `existingKey` (read from a 0600 temp file next to the image). */
export async function addKey(path: string, existingKey: Buffer, newKey: Buffer, slot: number, o: Omit<LuksFileOptions, 'key'> = {}): Promise<void> {
  const keyFile = `${path}.existing-key`;
  await writeFile(keyFile, existingKey, { mode: 0o600 });
  try {
    await must(['luksAddKey', '--batch-mode', ...pbkdfArgs(o), '--key-slot', String(slot), '--key-file', keyFile, path, '-'], newKey);
  } finally {
    await rm(keyFile, { force: true });
  }
}
