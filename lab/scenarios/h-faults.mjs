// Scenario h (issue 11): faults real hosts have, on boot 2 after f (every volume open, guests running).
// 1. One guest's persistent XML is garbage across `systemctl restart cryptvm`: every volume adopted, READY,
//    the guests untouched, the broken file named in the journal.
// 2. At the console: Enter on an empty line is asked again; three wrong answers end `cryptvm unlock`, and a
//    fourth `cryptvm unlock` asks again and opens the volume.
// 3. libvirtd (and its sockets) stopped across a daemon restart while web waits for cr_data: status says
//    "waiting for libvirt"; libvirtd started a minute later → web starts with no admin action.
// 4. 20 × kill -9 of cryptsetup or of the daemon at random moments of an open of cr_tpm: afterwards every
//    volume is open and adopted, none duplicated, suspended or half-made (a dm-crypt device without a table).
import { LAB_VOLUMES, PASSPHRASE } from '../prepare.mjs';
import { waitGuests, running } from '../boot.mjs';

const WRONG = 'not-the-lab-passphrase';
const ids = 'for g in imap web office; do echo "$g $(virsh domid $g)"; done; dmsetup ls --target crypt | cut -f1 | sort';
const LIBVIRT_UNITS = 'libvirtd.service libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket';
const oneLine = (s) => s.replace(/\s+/g, ' ').trim().slice(0, 500);

async function brokenXml(t, res) {
  const before = await res.sh(ids);
  const r = await res.sh('cp -p /etc/libvirt/qemu/office.xml /root/office.xml.good; '
    + "printf 'garbage <<< not xml\\n' > /etc/libvirt/qemu/office.xml; "
    + 'timeout 300 systemctl --no-ask-password restart cryptvm; echo "rc=$?"; systemctl is-active cryptvm; '
    + 'journalctl -u cryptvm -n 60 -o cat | grep -c "cannot read its libvirt XML /etc/libvirt/qemu/office.xml"; '
    + 'cp -p /root/office.xml.good /etc/libvirt/qemu/office.xml', 330_000);
  t.check('h: a garbage guest XML does not stop a restart: active, READY', /^rc=0$/m.test(r.out) && /^active$/m.test(r.out), oneLine(r.out));
  t.check('h: the journal names the broken XML', /^[1-9]\d*$/m.test(r.out), oneLine(r.out));
  const after = await res.sh(`sleep 3; ${ids}`);
  t.check('h: after it, guests keep their IDs and every mapping is adopted', after.out === before.out
    && LAB_VOLUMES.every((m) => new RegExp(`^${m}$`, 'm').test(after.out)), `${oneLine(before.out)} → ${oneLine(after.out)}`);
}

async function libvirtDown(t, res) {
  const prep = await res.sh('cryptvm lock cr_data --stop-guests; echo "lock=$?"; virsh domstate web; '
    + `systemctl stop ${LIBVIRT_UNITS}; systemctl is-active libvirtd.service; `
    + 'timeout 300 systemctl --no-ask-password restart cryptvm; echo "rc=$?"; systemctl is-active cryptvm; sleep 5; '
    + 'cryptvm status | head -1; dmsetup ls --target crypt | cut -f1 | sort', 400_000);
  t.check('h: with libvirtd stopped the daemon restarts, opens cr_data and says it waits for libvirt',
    /^lock=0$/m.test(prep.out) && /^rc=0$/m.test(prep.out) && /waiting for libvirt/.test(prep.out) && /^cr_data$/m.test(prep.out), oneLine(prep.out));
  await res.sh(`sleep 60; systemctl start ${LIBVIRT_UNITS}; systemctl is-active libvirtd.service`, 120_000);
  const after = await waitGuests(res, ['web', 'imap', 'office'], 180);
  t.check('h: libvirtd back a minute later: web starts by itself, the others are seen running',
    ['web', 'imap', 'office'].every((g) => running(after.out, g)), oneLine(after.out));
  const st = await res.sh('cryptvm status | head -1');
  t.check('h: status no longer waits for libvirt', !/waiting for libvirt/.test(st.out), st.out.trim());
}

async function prompts(t, con, res) {
  const lock = await res.sh('cryptvm lock cr_imap_encr --stop-guests; echo "rc=$?"', 180_000);
  t.check('h: cr_imap_encr locked for the prompt checks', /rc=0/.test(lock.out), oneLine(lock.out));
  const prompt = /Please enter passphrase[^\n]*cr_imap_encr[^\n]*:/;
  try {
    await con.line('cryptvm unlock cr_imap_encr');
    await con.expect(prompt, 60_000, 'the prompt');
    await con.line('');
    await con.expect(/Empty passphrase, try again\. Please enter passphrase[^\n]*cr_imap_encr/, 120_000, 'the prompt again after an empty answer');
    t.check('h: an empty answer is asked again', true);
  } catch (e) {
    t.fail(['h: an empty answer is asked again'], e);
  }
  try {
    await con.line(WRONG);
    await con.expect(/Wrong passphrase, try again\. Please enter passphrase[^\n]*cr_imap_encr/, 120_000, 'asked after the second try');
    await con.line(WRONG);
    await con.expect(/cr_imap_encr: not unlocked/, 120_000, 'cryptvm unlock giving up after three tries');
    await con.expect(/root@cryptvm-lab:~# $/m, 30_000, 'the shell prompt');
    await con.line('cryptvm unlock cr_imap_encr');
    await con.expect(prompt, 60_000, 'a fourth cryptvm unlock asking again');
    await con.line(PASSPHRASE);
    await con.expect(/cr_imap_encr: unlocked/, 120_000, 'the fourth cryptvm unlock opening it');
    await con.expect(/root@cryptvm-lab:~# $/m, 30_000, 'the shell prompt');
    t.check('h: after its tries are used up, a fourth cryptvm unlock asks again and opens it', true);
  } catch (e) {
    t.fail(['h: after its tries are used up, a fourth cryptvm unlock asks again and opens it'], e);
  }
  const after = await waitGuests(res, ['imap'], 240);
  t.check('h: imap starts by itself after that unlock', running(after.out, 'imap'), oneLine(after.out));
}

// One round: lock cr_tpm (no guest uses it), reopen it through a reload (its TPM2 token: cryptsetup runs the
// keyslot's PBKDF), and kill -9 cryptsetup as soon as it runs plus 0–90 ms (even rounds; in the first lab run a
// fixed random sleep never caught it) or the daemon after a random 0–1.9 s (odd rounds; KillMode=mixed then
// also ends its cryptsetup); then wait until the daemon is active again.
const KILL_LOOP = `
for i in $(seq 20); do
  cryptvm lock cr_tpm >/dev/null 2>&1
  systemctl reload cryptvm >/dev/null 2>&1 &
  if [ $((i % 2)) = 0 ]; then
    # cryptsetup runs for well under a second here: catch it, then kill it at a random point of its run.
    for k in $(seq 100); do pgrep -x cryptsetup >/dev/null && break; sleep 0.02; done
    sleep "0.0$((RANDOM % 10))"
    for p in $(pgrep -x cryptsetup); do kill -9 "$p" && echo "round $i: killed cryptsetup $p"; done
  else
    sleep "$((RANDOM % 2)).$((RANDOM % 10))"
    p=$(systemctl show -p MainPID --value cryptvm); [ "\${p:-0}" -gt 0 ] && kill -9 "$p" && echo "round $i: killed cryptvmd $p"
  fi
  wait
  for j in $(seq 60); do systemctl is-active -q cryptvm && break; sleep 1; done
  sleep 2
done
systemctl reset-failed cryptvm 2>/dev/null; systemctl is-active -q cryptvm || systemctl start cryptvm
timeout 300 systemctl --no-ask-password restart cryptvm; sleep 10
echo "--- dm"; dmsetup info -c --noheadings -o name,attr,uuid --separator ' ' | grep ' CRYPT-' | sort
echo "--- status"; cryptvm status --json | jq -r '.volumes[] | "\\(.name) \\(.state)"'
`;

async function killLoop(t, res) {
  // Typed at the console as one line: the script travels base64-encoded.
  const b64 = Buffer.from(KILL_LOOP).toString('base64');
  const r = await res.sh(`echo ${b64} | base64 -d > /root/kill-loop.sh; bash /root/kill-loop.sh 2>&1`, 1_500_000);
  const dm = (r.out.split('--- dm\n')[1] ?? '').split('--- status')[0].trim().split('\n').filter(Boolean);
  const status = (r.out.split('--- status\n')[1] ?? '').trim().split('\n').filter(Boolean);
  const names = dm.map((l) => l.split(' ')[0]);
  t.check('h: 20 kills during opens: every volume is open in cryptvm status', LAB_VOLUMES.every((v) => status.includes(`${v} open`)), oneLine(r.out.slice(-800)));
  t.check('h: … and mapped exactly once, live and not suspended (attr L, no s)', LAB_VOLUMES.every((v) => names.filter((n) => n === v).length === 1)
    && dm.every((l) => { const attr = l.split(' ')[1] ?? ''; return attr.includes('L') && !attr.includes('s'); }), dm.join('; '));
  t.check('h: … and no other dm-crypt device was left behind', names.every((n) => LAB_VOLUMES.includes(n)), names.join(' '));
}

export async function scenarioFaults(t, { con, res }) {
  await brokenXml(t, res).catch((e) => t.fail(['h: broken XML'], e));
  // Prompts before libvirtd is restarted under the running guests: in the first lab run, the lock right after
  // that restart failed with "failed to get domain 'imap'" (not understood yet), which took the prompt checks down.
  await prompts(t, con, res).catch((e) => t.fail(['h: prompts'], e));
  await libvirtDown(t, res).catch((e) => t.fail(['h: libvirt down'], e));
  await killLoop(t, res).catch((e) => t.fail(['h: kill loop'], e));
}
