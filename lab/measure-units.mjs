// Two lab-only units in the root image for `node lab/measure-ready.mjs` (both inert on a normal lab boot):
// lab-config.service rewrites [daemon] ready/boot_wait of the lab config from the kernel command line
// (cryptvm_lab.ready=all, cryptvm_lab.boot_wait=5min) before cryptvm.service starts; lab-measure.service
// (cryptvm_lab.measure=web,imap,…) waits until those guests' QEMU runs and reports, on the result channel
// (ttyS1), the monotonic times of READY, of each guest's machine scope and of systemd-user-sessions.
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CONFIG_SCRIPT = `#!/bin/bash
set -eu
C=/etc/cryptvm/cryptvm.toml
arg() { sed -n "s/.*cryptvm_lab\\.$1=\\([^ ]*\\).*/\\1/p" /proc/cmdline; }
r=$(arg ready); w=$(arg boot_wait)
[ -n "$r" ] && sed -i "/^\\[daemon\\]/a ready = \\"$r\\"" "$C"
[ -n "$w" ] && sed -i "s/^boot_wait = .*/boot_wait = \\"$w\\"/" "$C"
exit 0
`;

const CONFIG_UNIT = `[Unit]
Description=cryptvm lab: [daemon] ready and boot_wait from the kernel command line (measure-ready.mjs)
ConditionKernelCommandLine=|cryptvm_lab.ready
ConditionKernelCommandLine=|cryptvm_lab.boot_wait
Before=cryptvm.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/lab-config
`;

// Polls a file test (a bash builtin: cheap under TCG) for libvirt's pid file of each guest, then reads the
// scope's start time once.
const MEASURE_SCRIPT = `#!/bin/bash
want=$(sed -n 's/.*cryptvm_lab\\.measure=\\([^ ]*\\).*/\\1/p' /proc/cmdline | tr , ' ')
end=$((SECONDS + 900))
for g in $want; do
  until [ -s /run/libvirt/qemu/$g.pid ] || [ $SECONDS -gt $end ]; do sleep 0.5; done
done
sleep 1
mono() { systemctl show -p ActiveEnterTimestampMonotonic --value "$1" 2>/dev/null; }
{
  printf '@@BEGIN measure\\n{"ready": %s, "userSessions": %s' "$(mono cryptvm.service)" "$(mono systemd-user-sessions.service)"
  for g in $want; do
    u=$(systemctl list-units --plain --no-legend 'machine-qemu*' | awk '{print $1}' | grep -F "x2d$g.scope" | head -n 1)
    t=$([ -n "$u" ] && mono "$u"); printf ', "%s": %s' "$g" "\${t:-null}"
  done
  printf '}\\n@@END measure rc=0\\n'
} > /dev/ttyS1
`;

const MEASURE_UNIT = `[Unit]
Description=cryptvm lab: report when the guests started (measure-ready.mjs)
ConditionKernelCommandLine=cryptvm_lab.measure

[Service]
Type=simple
ExecStart=/usr/local/sbin/lab-measure
`;

export function installMeasure(tree) {
  const sbin = join(tree, 'usr/local/sbin');
  const units = join(tree, 'etc/systemd/system');
  mkdirSync(sbin, { recursive: true });
  for (const [name, text] of [['lab-config', CONFIG_SCRIPT], ['lab-measure', MEASURE_SCRIPT]]) {
    writeFileSync(join(sbin, name), text);
    chmodSync(join(sbin, name), 0o755);
  }
  writeFileSync(join(units, 'lab-config.service'), CONFIG_UNIT);
  writeFileSync(join(units, 'lab-measure.service'), MEASURE_UNIT);
  for (const [dir, unit] of [['cryptvm.service.wants', 'lab-config.service'], ['multi-user.target.wants', 'lab-measure.service']]) {
    mkdirSync(join(units, dir), { recursive: true });
    symlinkSync(`/etc/systemd/system/${unit}`, join(units, dir, unit));
  }
}
