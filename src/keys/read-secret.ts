// Read a small secret file byte-exact into one Buffer we own (no growing buffers that leave copies behind).
// Checks are made on the OPENED descriptor, so a rename or symlink swap between check and read cannot fool them.
// The file itself is opened with O_NOFOLLOW (the configuration names the real file, never a link to it), and
// with strict ownership every directory above it must be root's alone (src/trusted-path.ts).
import { open } from 'node:fs/promises';
import { constants } from 'node:fs';
import { secretBuffer, wipe } from '../secret.js';
import { untrustedParent } from '../trusted-path.js';

/** cryptsetup's compiled-in maximum key file size (`cryptsetup --help`: "Maximum keyfile size: 8192kB"). */
export const MAX_KEY_FILE_BYTES = 8192 * 1024;

export type ReadResult = { ok: true; data: Buffer } | { ok: false; reason: string };

export interface ReadPolicy {
  /** Require owner root, no group/other read or write bits, and root-only directories above the file. */
  strictOwnership: boolean;
}

export async function readSecretFile(path: string, policy: ReadPolicy): Promise<ReadResult> {
  const parent = policy.strictOwnership ? untrustedParent(path) : undefined;
  if (parent) return { ok: false, reason: `${path} is not safe: ${parent.message}: run '${parent.fix}'` };
  let fh;
  try {
    // O_NONBLOCK: a FIFO at the path must not hang the daemon; O_NOCTTY: never acquire a terminal.
    fh = await open(path, constants.O_RDONLY | constants.O_NOCTTY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, reason: `${path} does not exist` };
    if (code === 'ELOOP') return { ok: false, reason: `${path} is a symbolic link: name the file itself in the configuration` };
    if (code === 'EACCES') return { ok: false, reason: `${path} is not readable by the daemon (${code})` };
    return { ok: false, reason: `cannot open ${path}: ${code ?? (e as Error).message}` };
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return { ok: false, reason: `${path} is not a regular file` };
    if (policy.strictOwnership && st.uid !== 0) {
      return { ok: false, reason: `${path} is owned by uid ${st.uid}, not root: run 'chown root:root ${path}'` };
    }
    if (policy.strictOwnership && (st.mode & 0o066) !== 0) {
      const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
      return { ok: false, reason: `${path} has mode ${mode}, readable or writable by group/others: run 'chmod 0400 ${path}'` };
    }
    if (st.size > MAX_KEY_FILE_BYTES) return { ok: false, reason: `${path} is larger than ${MAX_KEY_FILE_BYTES} bytes (cryptsetup's key file limit)` };
    if (st.size === 0) return { ok: false, reason: `${path} is empty` };
    const data = secretBuffer(st.size);
    let off = 0;
    while (off < data.length) {
      const { bytesRead } = await fh.read(data, off, data.length - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    const probe = secretBuffer(1);
    const extra = (await fh.read(probe, 0, 1, off)).bytesRead;
    wipe(probe);
    if (off !== data.length || extra !== 0) {
      wipe(data);
      return { ok: false, reason: `${path} changed size while being read; try again` };
    }
    return { ok: true, data };
  } catch (e) {
    return { ok: false, reason: `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  } finally {
    await fh.close();
  }
}
