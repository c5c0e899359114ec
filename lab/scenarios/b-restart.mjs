// Scenario b: `systemctl restart cryptvm` keeps guests (same domain IDs) and mappings.
import { LAB_VOLUMES } from '../prepare.mjs';

const GUESTS = ['imap', 'web', 'office'];
const ids = 'for g in imap web office; do echo "$g $(virsh domid $g)"; done; dmsetup ls --target crypt | cut -f1 | sort';

export async function scenarioRestart(t, { res }) {
  const before = await res.sh(ids);
  const r = await res.sh('systemctl restart cryptvm; systemctl is-active cryptvm', 300_000);
  t.check('b: systemctl restart cryptvm succeeds', r.out.trim().endsWith('active') && r.rc === 0, r.out.trim());
  const after = await res.sh(`sleep 5; ${ids}`);
  const same = before.out === after.out && GUESTS.every((g) => new RegExp(`^${g} \\d+$`, 'm').test(after.out));
  t.check('b: guests keep the same domain IDs after restart', same,
    `${before.out.replace(/\n/g, ' ')} → ${after.out.replace(/\n/g, ' ')}`);
  t.check('b: mappings stay open after restart',
    LAB_VOLUMES.every((m) => new RegExp(`^${m}$`, 'm').test(after.out)));
}
