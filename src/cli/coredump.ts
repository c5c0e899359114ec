// `cryptvm doctor`: core dumps. cryptvmd and the cryptsetup it runs hold volume keys; a core file of either
// puts them on disk in plaintext. The unit sets LimitCORE=0 (systemd-coredump then logs the crash but stores no
// core); this checks that the running unit has it and that systemd-coredump has not stored one already.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Systemctl } from '../adapters/systemctl.js';
import type { Finding } from './finding.js';

export const COREDUMP_DIR = '/var/lib/systemd/coredump';

/**
 * systemd-coredump names files core.COMM.UID.BOOT_ID.PID.USEC[.zst|.xz|.lz4]. COMM is what the kernel calls
 * the process: cryptvmd (started through its #! line), cryptvm, cryptsetup; node when started as `node FILE`.
 */
const OURS = /^core\.(cryptvmd|cryptvm|cryptsetup|node)\.0\./;

export async function coredumpFindings(systemctl: Systemctl, unit: string, dir = COREDUMP_DIR): Promise<Finding[]> {
  const out: Finding[] = [];
  const limit = await systemctl.property(unit, 'LimitCORE');
  if (limit !== 'unknown' && limit !== '0') {
    out.push({
      level: 'problem',
      what: `${unit} allows core dumps (LimitCORE=${limit}): a crash of cryptvmd or of its cryptsetup would write volume keys to disk`,
      fix: `set LimitCORE=0 for ${unit} (the packaged unit has it; check drop-ins with systemctl cat ${unit}), then systemctl daemon-reload`,
    });
  }
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => OURS.test(f)).sort();
  } catch {
    // no systemd-coredump, or nothing stored yet
  }
  if (files.length) {
    const shown = files.slice(0, 3).map((f) => join(dir, f));
    out.push({
      level: 'problem',
      what: `${files.length} stored core dump(s) of root's cryptvmd, cryptvm, cryptsetup or node in ${dir} (${shown.join(', ')}${files.length > 3 ? ', …' : ''}): they can hold volume keys`,
      fix: `read the crash with coredumpctl info, then delete them: shred -u ${dir}/core.{cryptvmd,cryptvm,cryptsetup,node}.0.*`,
    });
  }
  return out;
}
