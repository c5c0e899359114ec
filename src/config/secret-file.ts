// Files that hold secrets (key files, the key server's token and client key) are checked at load like
// systemd-cryptsetup checks key files: a secret anyone but root can read is refused, whatever it would unlock.

import { lstatSync, readlinkSync, statSync } from 'node:fs';
import { untrustedParent } from '../trusted-path.js';
import { unsafeName } from './names.js';

/** What is wrong with a secret file, as [message, fix] pairs; empty when it is safe to use. */
export function checkSecretFile(path: string, checkOwnership: boolean, what = 'key file'): [string, string][] {
  const fix = `chown root:root ${path} && chmod 0400 ${path}`;
  let st;
  try {
    st = lstatSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [[`${what} ${path} does not exist`, 'create it or correct the path']];
    return [[`${what} ${path} cannot be examined (${code ?? String(e)})`, 'check the path and its permissions']];
  }
  const at = what === 'key file' ? 'keyfile:' : what;
  if (st.isSymbolicLink()) {
    let target = '?';
    try {
      target = readlinkSync(path);
    } catch {
      // gone meanwhile
    }
    return [[`${what} ${path} is a symbolic link (to ${target}): the daemon opens secrets without following links`, `point ${at} at the file itself`]];
  }
  if (checkOwnership) {
    const parent = untrustedParent(path);
    if (parent) return [[`${what} ${path} is not safe: ${parent.message}`, parent.fix]];
  }
  if (!st.isFile()) return [[`${what} ${path} is not a regular file`, `point ${at} at a regular file`]];
  const wrong: [string, string][] = [];
  if (checkOwnership && st.uid !== 0) wrong.push([`${what} ${path} is owned by uid ${st.uid}, not root`, fix]);
  const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
  if ((st.mode & 0o077) !== 0) wrong.push([`${what} ${path} has mode ${mode}: group/other can access it`, fix]);
  return wrong;
}

/** A public file that must exist (CA bundle, client certificate): [message, fix] pairs. */
export function checkPublicFile(path: string, what: string): [string, string][] {
  try {
    if (statSync(path).isFile()) return [];
    return [[`${what} ${path} is not a regular file`, 'point it at a PEM file']];
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [[`${what} ${path} does not exist`, 'create it or correct the path']];
    return [[`${what} ${path} cannot be examined (${code ?? String(e)})`, 'check the path and its permissions']];
  }
}

/** systemd credential names are file names in $CREDENTIALS_DIRECTORY. */
export function validCredentialName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && Buffer.byteLength(name) <= 255 && unsafeName(name) === undefined;
}
