// One boot of the lab VM under node-pty, with its own console log and result file in the run directory.
import { join } from 'node:path';
import { qemuArgs } from './vm.mjs';
import { Console } from './console.mjs';
import { Results } from './results.mjs';
import { log } from './lib/util.mjs';
import { startSwtpm } from './host.mjs';

export async function bootVm(images, n, cmdline = []) {
  const results = join(images.runDir, `results-${n}.log`);
  const consoleLog = join(images.runDir, `console-${n}.log`);
  log(`boot ${n}: console log ${consoleLog}`);
  // A swtpm per boot (it serves one QEMU), on the run's copy of the TPM state: the same TPM across boots.
  const tpm = await startSwtpm(images.tpmState, join(images.runDir, `swtpm-${n}.sock`));
  const con = new Console(qemuArgs({ ...images, results, cmdline, tpmSock: tpm.sock }), consoleLog);
  con.exit.then(() => tpm.stop());
  return { con, res: new Results(results, con), startedAt: Date.now() };
}

/** Journal lines of cryptvm's JSON log (MESSAGE is one pino line) as objects, with the monotonic time in s. */
export async function cryptvmLog(res, boot = '-b') {
  const { out } = await res.sh(`journalctl ${boot} -u cryptvm -u cryptvm-guests -o json --output-fields=MESSAGE `
    + `| jq -c '{t: (.__MONOTONIC_TIMESTAMP|tonumber/1e6), m: .MESSAGE}'`, 120_000);
  const lines = [];
  for (const l of out.split('\n')) {
    try {
      const { t, m } = JSON.parse(l);
      const s = typeof m === 'string' ? m.replace(/^<\d>/, '') : '';
      if (s.startsWith('{')) lines.push({ t, ...JSON.parse(s) });
    } catch { /* not a JSON line (systemd's own messages) */ }
  }
  return lines;
}

/** Poll in the VM until every named guest is running (or timeout); returns `virsh list` text. */
export async function waitGuests(res, names, timeoutS) {
  const cond = names.map((g) => `virsh domstate ${g} 2>/dev/null | grep -qx running`).join(' && ');
  return res.sh(`for i in $(seq ${Math.ceil(timeoutS / 3)}); do ${cond} && break; sleep 3; done; `
    + `virsh list --all`, (timeoutS + 60) * 1000);
}

export const running = (virshList, g) => new RegExp(`^\\s*\\d+\\s+${g}\\s+running`, 'm').test(virshList);

/** When each running guest's QEMU started (its machine scope), in monotonic seconds since the VM booted. */
export async function guestStarts(res) {
  const { out } = await res.sh("for u in $(systemctl list-units --plain --no-legend 'machine-qemu*' | awk '{print $1}'); do "
    + 'echo "$u $(systemctl show -p ActiveEnterTimestampMonotonic --value "$u")"; done');
  const starts = {};
  for (const m of out.matchAll(/x2d\d+\\x2d(\S+)\.scope (\d+)/g)) starts[m[1]] = Number(m[2]) / 1e6;
  return starts;
}
