// Scenario e: markers written to each volume (last MiB of the raw mappings, a file on the mounted fs) read
// back identically after a power-off/boot cycle.
import { randomBytes } from 'node:crypto';

const RAW = ['cr_imap_encr', 'cr_data'];
const FILE = '/var/lib/libvirt/images/secure/lab-marker.txt';
const off = (m) => `$(( $(blockdev --getsize64 /dev/mapper/${m}) - 1048576 ))`;

export function newMarker() { return `LABMARK-${randomBytes(8).toString('hex')}`; }

export async function writeMarkers(res, marker) {
  const cmds = RAW.map((m) => `printf %s ${marker}-${m} | dd of=/dev/mapper/${m} bs=1 seek=${off(m)} conv=notrunc,fsync status=none`);
  cmds.push(`echo ${marker}-fs > ${FILE}`, 'sync');
  return res.sh(cmds.join(' && '));
}

export async function checkMarkers(t, res, marker) {
  for (const m of RAW) {
    const want = `${marker}-${m}`;
    const r = await res.sh(`dd if=/dev/mapper/${m} bs=1 skip=${off(m)} count=${want.length} status=none`);
    t.check(`e: marker on ${m} survives the reboot`, r.out.trim() === want, r.out.trim().slice(0, 60));
  }
  const r = await res.sh(`cat ${FILE}`);
  t.check('e: file on the mounted cr_images survives the reboot', r.out.trim() === `${marker}-fs`, r.out.trim());
}
