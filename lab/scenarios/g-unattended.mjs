// Scenario g (issue 5): volumes that open with nobody at the console — cr_tpm from its systemd-tpm2 token
// (swtpm on the host) and cr_tang from its clevis tang binding (tang on the host's loopback, guestfwd).
import { cryptvmLog } from '../boot.mjs';

const WANT = { cr_tpm: /^token(:systemd-tpm2)?$/, cr_tang: /^clevis/ };

/** `label` names the boot in the check names ("boot 1", "headless boot 2"). */
export async function checkUnattended(t, { res }, label) {
  const maps = await res.sh('for i in $(seq 40); do [ -b /dev/mapper/cr_tpm ] && [ -b /dev/mapper/cr_tang ] && break; '
    + 'sleep 3; done; dmsetup ls --target crypt | cut -f1 | sort', 180_000);
  t.check(`g: ${label}: cr_tpm and cr_tang open without anyone typing`,
    /^cr_tpm$/m.test(maps.out) && /^cr_tang$/m.test(maps.out), maps.out.replace(/\n/g, ' '));
  const log = await cryptvmLog(res);
  for (const [volume, re] of Object.entries(WANT)) {
    const opened = log.find((l) => l.msg === 'volume opened' && l.volume === volume);
    t.check(`g: ${label}: journal says ${volume} opened from "${volume === 'cr_tpm' ? 'token' : 'clevis'}"`,
      !!opened && re.test(opened.source ?? ''), JSON.stringify(opened ?? null).slice(0, 200));
  }
}
