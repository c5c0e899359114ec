// Is a path stored on dm-crypt? Walks sysfs from the filesystem's block device down through its slaves
// (LVM on LUKS, LUKS on a partition, …) looking for a dm device whose uuid says CRYPT-. No spawn.
import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Linux dev_t → "major:minor" (glibc's gnu_dev_major/minor encoding). */
export function majMin(dev: bigint): string {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

async function existingAncestor(path: string): Promise<{ dev: bigint }> {
  for (let p = path; ; p = dirname(p)) {
    try {
      return await stat(p, { bigint: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || p === '/') throw e;
    }
  }
}

async function isCrypt(blockDir: string, depth: number): Promise<boolean> {
  if (depth > 8) return false;
  const uuid = await readFile(join(blockDir, 'dm', 'uuid'), 'utf8').catch(() => '');
  if (uuid.startsWith('CRYPT-')) return true;
  const slaves = await readdir(join(blockDir, 'slaves')).catch(() => [] as string[]);
  for (const s of slaves) if (await isCrypt(join(blockDir, 'slaves', s), depth + 1)) return true;
  return false;
}

/**
 * True when `path` (or its nearest existing parent) lives on a filesystem whose block device is, or sits on,
 * a dm-crypt mapping; false otherwise (plain disk, tmpfs, network filesystem).
 */
export async function onEncryptedStorage(path: string, sysRoot = '/sys'): Promise<boolean> {
  const st = await existingAncestor(path);
  const id = majMin(st.dev);
  if (id.startsWith('0:')) return false; // not backed by a block device
  return isCrypt(join(sysRoot, 'dev', 'block', id), 0);
}
