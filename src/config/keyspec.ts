// keys = [...] entries: how a volume's passphrase is obtained, tried in order. Key files are checked at load
// like systemd-cryptsetup does: a key anyone but root can read is refused, whatever it would unlock.

import { statSync } from 'node:fs';
import type { Problems } from './problem.js';
import type { KeySourceSpec } from './types.js';
import { closest } from './suggest.js';
import { absolutePath } from './values.js';

const SUPPORTED = 'prompt, keyfile:/PATH, credential or credential:NAME';
/** Sources the brief plans (§3.4) that this version cannot use yet: a clear word instead of "unknown". */
const PLANNED = ['token', 'clevis', 'tang', 'https'];

/** Parses the keys entries of `volume` (`key` is "volume#N.keys"); each problem is on its entry's line. */
export function parseKeys(
  p: Problems,
  key: string,
  entries: string[],
  volume: string,
  checkOwnership: boolean,
): KeySourceSpec[] {
  const out: KeySourceSpec[] = [];
  entries.forEach((entry, i) => {
    const line = p.lineOf(`${key}[${i}]`);
    const colon = entry.indexOf(':');
    const kind = colon < 0 ? entry : entry.slice(0, colon);
    const arg = colon < 0 ? undefined : entry.slice(colon + 1);
    if (kind === 'prompt' && arg === undefined) out.push({ kind: 'prompt' });
    else if (kind === 'keyfile' && arg !== undefined) {
      const path = absolutePath(p, key, arg, 'key file', line);
      if (path === undefined) return;
      const wrong = checkKeyFile(path, checkOwnership);
      for (const [message, fix] of wrong) p.error(key, message, fix, line);
      out.push({ kind: 'keyfile', path });
    } else if (kind === 'credential') {
      const name = arg ?? volume;
      if (validCredentialName(name)) out.push({ kind: 'credential', name });
      else p.error(key, `invalid credential name ${JSON.stringify(name)}`, 'use a plain file name without "/"', line);
    } else if (PLANNED.includes(kind)) {
      const message = `key source ${JSON.stringify(entry)} is not supported yet in this version`;
      p.error(key, message, `remove it; supported now: ${SUPPORTED}`, line);
    } else {
      const guess = closest(kind, ['prompt', 'keyfile', 'credential']);
      const message = `unknown key source ${JSON.stringify(entry)}${guess ? `, did you mean "${guess}"?` : ''}`;
      p.error(key, message, `use one of: ${SUPPORTED}`, line);
    }
  });
  if (entries.length === 0) {
    p.error(key, 'no key source, so the volume could never be opened', 'write keys = ["prompt"]');
  }
  return out;
}

/** systemd credential names are file names in $CREDENTIALS_DIRECTORY. */
function validCredentialName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && Buffer.byteLength(name) <= 255;
}

/** What is wrong with a key file, as [message, fix] pairs; empty when it is safe to use. */
export function checkKeyFile(path: string, checkOwnership: boolean): [string, string][] {
  const fix = `chown root:root ${path} && chmod 0400 ${path}`;
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [[`key file ${path} does not exist`, 'create it or correct the path']];
    return [[`key file ${path} cannot be examined (${code ?? String(e)})`, 'check the path and its permissions']];
  }
  if (!st.isFile()) return [[`key file ${path} is not a regular file`, 'point keyfile: at a regular file']];
  const wrong: [string, string][] = [];
  if (checkOwnership && st.uid !== 0) wrong.push([`key file ${path} is owned by uid ${st.uid}, not root`, fix]);
  const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
  if ((st.mode & 0o077) !== 0) wrong.push([`key file ${path} has mode ${mode}: group/other can access it`, fix]);
  return wrong;
}
