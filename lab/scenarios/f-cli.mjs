// Scenario f: the administrator's command in the lab (issue 4): `cryptvm status` and `cryptvm plan` against
// the real daemon, `cryptvm lock` refusing and then stopping the guest, and `cryptvm unlock` typed at the
// console (echo off, a wrong passphrase first) bringing that guest back by itself.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PASSPHRASE } from '../prepare.mjs';
import { waitGuests, running } from '../boot.mjs';

const WRONG = 'not-the-lab-passphrase';

export async function scenarioCli(t, { con, res }, runDir) {
  const status = await res.sh('cryptvm status');
  writeFileSync(join(runDir, 'cryptvm-status.txt'), status.out);
  t.check('f: cryptvm status shows cr_imap_encr open and imap running', status.rc === 0
    && /^\s*cr_imap_encr\b.*\bopen\b/m.test(status.out) && /^\s*imap\b.*\brunning\b/m.test(status.out), status.out);
  const plan = await res.sh('cryptvm plan');
  writeFileSync(join(runDir, 'cryptvm-plan.txt'), plan.out);
  t.check('f: cryptvm plan lists the boot and shutdown steps', plan.rc === 0
    && /open\s+cr_imap_encr/.test(plan.out) && /shutdown\s+web/.test(plan.out) && /close\s+cr_data/.test(plan.out), plan.out);

  const refused = await res.sh('cryptvm lock cr_imap_encr');
  t.check('f: cryptvm lock refuses while imap runs on the volume', refused.rc === 1 && /imap/.test(refused.out)
    && /--stop-guests/.test(refused.out), refused.out.trim());
  const lock = await res.sh('cryptvm lock cr_imap_encr --stop-guests; echo "rc=$?"; virsh domstate imap; '
    + 'dmsetup ls --target crypt | cut -f1 | sort', 180_000);
  t.check('f: cryptvm lock --stop-guests stops imap, then closes the mapping', /rc=0/.test(lock.out)
    && /shut off/.test(lock.out) && !/^cr_imap_encr$/m.test(lock.out), lock.out.replace(/\n/g, ' '));

  await con.line('cryptvm unlock cr_imap_encr');
  try {
    await con.expect(/guests that will start once unlocked: imap/, 60_000, 'the guests unlock will start');
    await con.expect(/Please enter passphrase[^\n]*cr_imap_encr[^\n]*:/, 60_000, "the daemon's prompt, shown by cryptvm unlock");
    const from = con.text.length;
    await con.line(WRONG);
    await con.expect(/wrong passphrase, try again/, 120_000, 'the wrong passphrase being refused');
    await con.expect(/Please enter passphrase[^\n]*cr_imap_encr[^\n]*:/, 60_000, 'the prompt again');
    await con.line(PASSPHRASE);
    await con.expect(/cr_imap_encr: unlocked/, 120_000, 'cryptvm unlock reporting success');
    await con.expect(/root@cryptvm-lab:~# $/m, 30_000, 'the shell prompt');
    const typed = con.text.slice(from);
    t.check('f: cryptvm unlock asks at the console, refuses a wrong passphrase, accepts the right one', true);
    t.check('f: neither passphrase is echoed', !typed.includes(WRONG) && !typed.includes(PASSPHRASE));
  } catch (e) {
    t.fail(['f: cryptvm unlock asks at the console, refuses a wrong passphrase, accepts the right one', 'f: neither passphrase is echoed'], e);
  }
  const after = await waitGuests(res, ['imap'], 240);
  t.check('f: imap starts by itself after cryptvm unlock', running(after.out, 'imap'), after.out.replace(/\s+/g, ' '));

  // systemctl reload runs `cryptvm reload` (ExecReload): a good file reloads, a bad one fails the reload
  // with its problem and the daemon keeps running on the old configuration.
  const reload = await res.sh('C=/etc/cryptvm/cryptvm.toml; cp -p $C /root/good.toml; systemctl reload cryptvm; echo "good=$?"; '
    + "printf '\\n[[volume]]\\nname = \"bad name\"\\ndevice = \"/dev/null\"\\n' >> $C; "
    + 'systemctl reload cryptvm 2>&1; echo "bad=$?"; cp -p /root/good.toml $C; systemctl is-active cryptvm; '
    + 'journalctl -u cryptvm -n 40 -o cat | grep -c "bad name"; cryptvm status | head -1', 120_000);
  t.check('f: systemctl reload succeeds on a good file and fails on a bad one, the daemon staying active',
    /^good=0$/m.test(reload.out) && /^bad=[1-9]/m.test(reload.out) && /^active$/m.test(reload.out)
      && /^[1-9]\d*$/m.test(reload.out) && /6\/6 volumes open/.test(reload.out), reload.out.replace(/\n/g, ' ').slice(0, 400));
}
