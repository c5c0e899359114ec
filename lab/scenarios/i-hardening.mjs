// Scenario i (issue 12): the hardened unit on a real boot. No core dumps (LimitCORE=0), the exposure score of
// the installed unit, SIGUSR1 logging a status line instead of opening the inspector (nothing listens on
// 9229, the daemon still answers), and the volume's filesystem, mounted by PID 1, visible both on the host
// and inside the daemon's own mount namespace.
export async function scenarioHardening(t, { res }) {
  const core = await res.sh('systemctl show -p LimitCORE --value cryptvm');
  t.check('i: cryptvm.service has LimitCORE=0', core.out.trim() === '0', core.out.trim());

  const sec = await res.sh('systemd-analyze security --no-pager cryptvm.service 2>/dev/null | tail -n 1');
  const score = Number(/Overall exposure level for cryptvm\.service: ([\d.]+)/.exec(sec.out)?.[1]);
  t.check('i: systemd-analyze security cryptvm.service scores at most 3.5', score <= 3.5, sec.out.trim());

  const usr1 = await res.sh('P=$(systemctl show -p MainPID --value cryptvm); kill -USR1 $P; sleep 2; '
    + 'echo "listen=$(awk \'$4=="0A" && $2 ~ /:240D$/\' /proc/net/tcp /proc/net/tcp6 | wc -l)"; '
    + 'echo "debugger=$(journalctl -u cryptvm -n 50 -o cat | grep -c "Debugger listening")"; '
    + 'echo "status=$(journalctl -u cryptvm -n 50 -o cat | grep -c "status: ")"; '
    + 'echo "pid=$(systemctl show -p MainPID --value cryptvm) was=$P"; cryptvm status >/dev/null; echo "answers=$?"', 60_000);
  const pid = /pid=(\d+) was=(\d+)/.exec(usr1.out);
  t.check('i: SIGUSR1 logs the status, opens no inspector, and the daemon still answers',
    /listen=0/.test(usr1.out) && /debugger=0/.test(usr1.out) && /status=[1-9]/.test(usr1.out) && /answers=0/.test(usr1.out)
      && pid !== null && pid[1] === pid[2], usr1.out.replace(/\n/g, ' '));

  const ns = await res.sh('P=$(systemctl show -p MainPID --value cryptvm); W=/var/lib/libvirt/images/secure; '
    + 'echo "host=$(findmnt -n -o SOURCE $W)"; echo "daemon=$(awk -v w=$W \'$5==w\' /proc/$P/mountinfo | wc -l)"; '
    + 'echo "own-ns=$([ "$(readlink /proc/$P/ns/mnt)" != "$(readlink /proc/1/ns/mnt)" ] && echo yes)"');
  t.check('i: the daemon has its own mount namespace and sees the filesystem PID 1 mounted',
    /host=\/dev\/mapper\/cr_images/.test(ns.out) && /daemon=[1-9]/.test(ns.out) && /own-ns=yes/.test(ns.out), ns.out.replace(/\n/g, ' '));

  const doctor = await res.sh('cryptvm doctor 2>&1 | grep -ci "core dump"');
  t.check('i: cryptvm doctor reports no core dump problem', doctor.out.trim() === '0', doctor.out.trim());
}
