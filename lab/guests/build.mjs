// Builds the tiny multiboot guest kernel (guest.c) on the host, cached by source hash.
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { LAB, CACHE, hashInputs, run, log } from '../lib/util.mjs';

const SRC = join(LAB, 'guests', 'guest.c');
const LDS = join(LAB, 'guests', 'guest.ld');

/** @returns {Promise<string>} path of the cached 32-bit ELF */
export async function buildGuestKernel() {
  const hash = hashInputs([SRC, LDS]);
  const out = join(CACHE, `guest-${hash}.elf`);
  if (existsSync(out)) return out;
  log('building the multiboot guest kernel');
  const tmp = join(CACHE, 'tmp');
  mkdirSync(tmp, { recursive: true });
  const obj = join(tmp, 'guest.o');
  await run('gcc', ['-m32', '-ffreestanding', '-fno-pic', '-fno-stack-protector', '-nostdlib', '-O2', '-Wall',
    '-c', SRC, '-o', obj]);
  await run('ld', ['-m', 'elf_i386', '-z', 'max-page-size=0x1000', '--no-warn-rwx-segments', '-T', LDS, obj,
    '-o', `${out}.tmp`]);
  renameSync(`${out}.tmp`, out);
  return out;
}
