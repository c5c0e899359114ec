// [daemon] state_dir is the root daemon's: refused at load when someone else owns it, group/other can access
// it, or a directory above it is not root's alone (src/trusted-path.ts). Never tightened silently. A state
// directory that does not exist yet is fine: the daemon (or systemd's StateDirectory=) creates it 0700.
import { lstatSync, type Stats } from 'node:fs';
import { untrustedParent } from '../trusted-path.js';
import type { Problems } from './problem.js';

export function checkStateDir(p: Problems, dir: string): void {
  const key = 'daemon.state_dir';
  let st: Stats;
  try {
    st = lstatSync(dir);
  } catch {
    return;
  }
  const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
  if (st.isSymbolicLink()) p.error(key, `state directory ${dir} is a symbolic link`, 'set state_dir to the real directory');
  else if (!st.isDirectory()) p.error(key, `state directory ${dir} is not a directory`, `remove it or set state_dir to a directory`);
  else if (st.uid !== 0) p.error(key, `state directory ${dir} is owned by uid ${st.uid}, not root`, `chown root:root ${dir} && chmod 0700 ${dir}`);
  else if ((st.mode & 0o077) !== 0) p.error(key, `state directory ${dir} has mode ${mode}: group/other can access it`, `chmod 0700 ${dir}`);
  else {
    const parent = untrustedParent(dir);
    if (parent) p.error(key, `state directory ${dir} is not safe: ${parent.message}`, parent.fix);
  }
}
