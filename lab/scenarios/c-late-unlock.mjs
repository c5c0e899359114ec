// Scenario c: headless boot, nobody answers. READY=1 comes once the volumes that need nobody have opened,
// so libvirtd starts and web (key file) runs before boot_wait, while imap and office (prompt) wait; logins
// wait until boot_wait; an admin answers from a root shell and the waiting guests start by themselves.
import { PASSPHRASE } from '../prepare.mjs';
import { waitGuests, running, guestStarts, cryptvmLog } from '../boot.mjs';
import { PROMPT } from './a-boot.mjs';

export async function scenarioLateUnlock(t, { con, res }, timings) {
  await con.login(); // getty only comes once cryptvm is ready or boot_wait passed
  const list = await waitGuests(res, ['web'], 300);
  t.check('c: web (key file volume) runs while the passphrase is missing', running(list.out, 'web'), list.out.replace(/\s+/g, ' '));
  // The order of events, not a duration: web's QEMU started before boot_wait passed (READY=1 did not wait for
  // the passphrase), and logins came only after boot_wait (the console kept the prompt until then).
  const webAt = (await guestStarts(res)).web;
  const waitLine = (await cryptvmLog(res)).find((l) => l.event === 'boot-wait-passed');
  const logins = await res.sh('systemctl show -p ActiveEnterTimestampMonotonic --value systemd-user-sessions');
  const loginsAt = Number(logins.out.trim()) / 1e6;
  t.check('c: web started before boot_wait passed; logins only after it', webAt > 0 && waitLine && webAt < waitLine.t && loginsAt >= waitLine.t - 1,
    `web at ${webAt?.toFixed(1)} s, boot_wait passed at ${waitLine?.t.toFixed(1)} s, logins at ${loginsAt.toFixed(1)} s`);
  timings.headlessBootToWeb = webAt;
  const ready = await res.sh('systemctl is-active cryptvm libvirtd; systemctl show -p StatusText --value cryptvm');
  t.check('c: libvirtd started although a passphrase is missing', /^active\nactive/.test(ready.out), ready.out.replace(/\n/g, ' '));
  t.check('c: imap and office wait for the passphrase', !running(list.out, 'imap') && !running(list.out, 'office')
    && /waiting|locked/i.test(ready.out), ready.out.split('\n')[2]);
  // Issue 14: the metrics file shows the waiting volume; the notify command told of it and of boot_wait passing.
  const prom = await res.sh('cat /run/cryptvm/cryptvm.prom');
  t.check('c: metrics: cr_imap_encr waiting for a passphrase, cryptvm_up 1, time to READY',
    /^cryptvm_volume_state\{volume="cr_imap_encr",state="waiting-passphrase"\} 1$/m.test(prom.out) && /^cryptvm_up 1$/m.test(prom.out)
    && /^cryptvm_ready_seconds \d/m.test(prom.out), prom.out.split('\n').filter((l) => /waiting-passphrase"\} 1|^cryptvm_(up|ready)/.test(l)).join(' | '));
  const told = await res.sh('journalctl -b -t cryptvm-notify -o cat');
  t.check('c: notify command ran for the waiting volume and for boot_wait passing',
    /^volume-waiting$/m.test(told.out) && /^boot-wait-passed$/m.test(told.out), told.out.replace(/\n/g, ' ').slice(0, 300));
  const tAnswer = Date.now();
  await con.line('systemd-tty-ask-password-agent --query');
  try {
    await con.expect(PROMPT, 60_000, 'the prompt of the tty agent');
    t.check('c: systemd-tty-ask-password-agent --query shows the pending request', true);
    await con.line(PASSPHRASE);
    await con.expect(/root@cryptvm-lab:~# $/m, 120_000, 'the shell prompt after answering');
  } catch (e) {
    t.fail(['c: systemd-tty-ask-password-agent --query shows the pending request'], e);
    await con.type('\x03'); // leave the agent so later commands are not typed into it as a passphrase
  }
  // Journal priorities: `-p warning` shows the boot_wait warning and nothing below warning (no "volume opened").
  const warn = await res.sh('journalctl -b -u cryptvm -p warning -o json --output-fields=PRIORITY,MESSAGE | jq -r \'"\\(.PRIORITY) \\(.MESSAGE)"\'');
  const prios = warn.out.split('\n').filter(Boolean).map((l) => Number(l.split(' ')[0]));
  t.check('c: journalctl -u cryptvm -p warning shows the boot_wait warning and only warnings or worse',
    /boot_wait passed/.test(warn.out) && !/volume opened/.test(warn.out) && prios.length > 0 && prios.every((p) => p <= 4),
    warn.out.split('\n').slice(0, 3).join(' | ').slice(0, 300));
  const after = await waitGuests(res, ['imap', 'office'], 240);
  t.check('c: imap and office start by themselves after the late unlock',
    running(after.out, 'imap') && running(after.out, 'office'), after.out.replace(/\s+/g, ' '));
  timings.lateUnlockToGuests = (Date.now() - tAnswer) / 1000;
  const opened = await res.sh('sleep 2; cat /run/cryptvm/cryptvm.prom; journalctl -b -t cryptvm-notify -o cat');
  t.check('c: metrics: cr_imap_encr open by prompt, with its unlock duration; notify: all-open',
    /^cryptvm_volume_state\{volume="cr_imap_encr",state="open"\} 1$/m.test(opened.out)
    && /^cryptvm_volume_key_source_info\{volume="cr_imap_encr",source="prompt"\} 1$/m.test(opened.out)
    && /^cryptvm_volume_unlock_duration_seconds\{volume="cr_imap_encr"\} \d/m.test(opened.out) && /^all-open$/m.test(opened.out),
    opened.out.split('\n').filter((l) => /cr_imap_encr.*(open"\} 1|source|duration)|^all-open/.test(l)).join(' | '));
}
