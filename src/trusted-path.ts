// Paths the root daemon reads secrets from or mounts on must be root's alone all the way down: whoever can
// write a directory on the way can swap what lies below it (a key file for one they know, a mount point for a
// symlink into /etc). Each directory — on the path as written and on the path it resolves to — must be owned by
// root and not writable by group or other; a root-owned sticky directory (/tmp) is accepted, because there only
// an entry's owner can replace it, and the next step down must then be root's again.
import { lstatSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';

export interface PathProblem {
  message: string;
  fix: string;
}

const mode = (st: Stats): string => (st.mode & 0o7777).toString(8).padStart(4, '0');

/** /a/b/c → [/, /a, /a/b, /a/b/c] */
function prefixes(dir: string): string[] {
  const parts = dir.split(sep).filter((s) => s !== '');
  return ['/', ...parts.map((_, i) => `/${parts.slice(0, i + 1).join('/')}`)];
}

/** What is wrong with directory `dir` (already stat'ed), or undefined. */
export function untrustedDir(dir: string, st: Stats): PathProblem | undefined {
  if (!st.isDirectory()) return { message: `${dir} is not a directory`, fix: `make ${dir} a directory owned by root` };
  if (st.uid !== 0) return { message: `directory ${dir} is owned by uid ${st.uid}, not root`, fix: `chown root:root ${dir}` };
  if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) {
    return { message: `directory ${dir} has mode ${mode(st)}: group/other can write it`, fix: `chmod go-w ${dir}` };
  }
  return undefined;
}

/**
 * The first directory above `path` (not `path` itself) that someone other than root could change, or undefined.
 * Directories that do not exist (yet) end the walk: what does not exist cannot be swapped, and the caller
 * reports a missing file itself.
 */
export function untrustedParent(path: string): PathProblem | undefined {
  const parent = dirname(resolve(path));
  let real: string | undefined;
  try {
    real = realpathSync(parent);
  } catch {
    real = undefined;
  }
  // The resolved path first: its directories are the ones to name in the fix.
  for (const dirs of [real === undefined ? [] : prefixes(real), prefixes(parent)]) {
    for (const d of dirs) {
      let st: Stats;
      try {
        st = statSync(d);
      } catch {
        break;
      }
      const problem = untrustedDir(d, st);
      if (problem) return problem;
    }
  }
  return undefined;
}

/** The first symbolic link on `path` (any component, `path` included), or undefined; missing parts end the walk. */
export function symlinkOn(path: string): string | undefined {
  for (const p of prefixes(resolve(path))) {
    try {
      if (lstatSync(p).isSymbolicLink()) return p;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
