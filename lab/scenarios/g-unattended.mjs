// Scenario g (issue 5): volumes that open with nobody at the console — cr_tpm from its systemd-tpm2 token
// (swtpm on the host), cr_tang from its clevis tang binding (tang on the host's loopback, guestfwd) and
// cr_keysrv from the HTTPS key server (keyserver.mjs on the host's loopback, guestfwd).
import { cryptvmLog } from '../boot.mjs';

const WANT = { cr_tpm: /^token(:systemd-tpm2)?$/, cr_tang: /^clevis/, cr_keysrv: /^https:/ };
const LABEL = { cr_tpm: 'token', cr_tang: 'clevis', cr_keysrv: 'https:' };
const open = (m) => `[ -b /dev/mapper/${m} ]`;

/** `label` names the boot in the check names ("boot 1", "headless boot 2"). */
export async function checkUnattended(t, { res }, label) {
  const names = Object.keys(WANT);
  const maps = await res.sh(`for i in $(seq 40); do ${names.map(open).join(' && ')} && break; `
    + 'sleep 3; done; dmsetup ls --target crypt | cut -f1 | sort', 180_000);
  t.check(`g: ${label}: ${names.join(', ')} open without anyone typing`,
    names.every((m) => new RegExp(`^${m}$`, 'm').test(maps.out)), maps.out.replace(/\n/g, ' '));
  const log = await cryptvmLog(res);
  for (const [volume, re] of Object.entries(WANT)) {
    const opened = log.find((l) => l.event === 'volume-opened' && l.volume === volume);
    t.check(`g: ${label}: journal says ${volume} opened from "${LABEL[volume]}"`,
      !!opened && re.test(opened.source ?? ''), JSON.stringify(opened ?? null).slice(0, 200));
  }
}
