// `cryptvm doctor` and core dumps: a unit that allows them and core files systemd-coredump already stored
// (they can hold volume keys) are problems; other programs' core files are none of our business.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Runner, RunResult } from '../../../src/adapters/exec.js';
import { Systemctl } from '../../../src/adapters/systemctl.js';
import { coredumpFindings } from '../../../src/cli/coredump.js';

/** `systemctl show -p LimitCORE --value cryptvm.service` answers `limit`; anything else is unexpected. */
function systemd(limit: string): Systemctl {
  const runner: Runner = {
    async run(file: string, args: readonly string[]): Promise<RunResult> {
      if (file !== 'systemctl' || args.join(' ') !== 'show -p LimitCORE --value cryptvm.service') throw new Error(`unexpected: ${file} ${args.join(' ')}`);
      return { command: `systemctl ${args.join(' ')}`, exitCode: 0, stdout: `${limit}\n`, stderr: '' };
    },
  };
  return new Systemctl(runner);
}

function coreDir(files: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'cryptvm-coredump-'));
  for (const f of files) writeFileSync(join(dir, f), 'core');
  return dir;
}

describe('cryptvm doctor: core dumps', () => {
  it('a unit with LimitCORE=infinity and stored cores of cryptsetup and cryptvmd are two problems', async () => {
    const dir = coreDir([
      'core.cryptsetup.0.6f1c2d.1234.1700000000000000.zst',
      'core.cryptvmd.0.6f1c2d.99.1700000000000001.zst',
      'core.bash.1000.6f1c2d.77.1700000000000002.zst', // someone else's
      'core.cryptsetup.1000.6f1c2d.78.1700000000000003.zst', // not root's
    ]);
    const f = await coredumpFindings(systemd('infinity'), 'cryptvm.service', dir);
    expect(f).toEqual([
      {
        level: 'problem',
        what: 'cryptvm.service allows core dumps (LimitCORE=infinity): a crash of cryptvmd or of its cryptsetup would write volume keys to disk',
        fix: 'set LimitCORE=0 for cryptvm.service (the packaged unit has it; check drop-ins with systemctl cat cryptvm.service), then systemctl daemon-reload',
      },
      {
        level: 'problem',
        what: `2 stored core dump(s) of root's cryptvmd, cryptvm, cryptsetup or node in ${dir} (${dir}/core.cryptsetup.0.6f1c2d.1234.1700000000000000.zst, ${dir}/core.cryptvmd.0.6f1c2d.99.1700000000000001.zst): they can hold volume keys`,
        fix: `read the crash with coredumpctl info, then delete them: shred -u ${dir}/core.{cryptvmd,cryptvm,cryptsetup,node}.0.*`,
      },
    ]);
  });

  it('LimitCORE=0 and no stored cores of ours: nothing to report', async () => {
    expect(await coredumpFindings(systemd('0'), 'cryptvm.service', coreDir(['core.bash.0.x.1.2.zst']))).toEqual([]);
  });

  it('without systemd (unknown) and without the directory: nothing to report', async () => {
    const none = new Systemctl({ run: async () => ({ command: 'systemctl', exitCode: 1, stdout: '', stderr: 'System has not been booted with systemd\n' }) });
    expect(await coredumpFindings(none, 'cryptvm.service', '/nonexistent/coredump')).toEqual([]);
  });
});
