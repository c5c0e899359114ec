// `node lab/measure-ready.mjs [--all-5min]`: when do guests start, with [daemon] ready = "unattended" (the
// default) against "all" (the old rule), with boot_wait 45 s and 5 min, headless and attended? One boot per
// variant, each on fresh overlays of the same images, in one run; not part of the system test (CI).
// Headless: nobody types; the boot ends once web (key file volume) runs. Attended: the passphrase is typed
// as soon as its prompt is on the console; the boot ends once every guest runs. Times are monotonic seconds
// since the VM's kernel started (boot → READY, boot → web, boot → all guests, boot → logins allowed).
// "all" with boot_wait 5 min costs a 5-minute boot for a number that is boot_wait by construction: only with
// --all-5min. A warm-up boot first fills libvirt's capability cache, as on any host after its first boot. Writes ready-timings.json into the run directory and prints a table.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { log } from './lib/util.mjs';
import { prepare, PASSPHRASE } from './prepare.mjs';
import { bootVm } from './boot.mjs';
import { overlay } from './vm.mjs';
import { PROMPT } from './scenarios/a-boot.mjs';

const ALL = ['imap', 'web', 'office'];
const variants = [
  { mode: 'headless', ready: 'unattended', bootWait: '45s' },
  { mode: 'headless', ready: 'unattended', bootWait: '5min' },
  { mode: 'headless', ready: 'all', bootWait: '45s' },
  ...(process.argv.includes('--all-5min') ? [{ mode: 'headless', ready: 'all', bootWait: '5min' }] : []),
  { mode: 'attended', ready: 'unattended', bootWait: '45s' },
  { mode: 'attended', ready: 'all', bootWait: '45s' },
];

const s = (us) => (typeof us === 'number' && us > 0 ? Math.round(us / 1e5) / 10 : null);
const rows = [];
let images;
try {
  images = await prepare('measure-ready');
  // Warm-up: one boot on the run's root, shut down cleanly. libvirtd probes QEMU's capabilities on its first
  // start (about 45 s under emulation) and caches them; a host boots with that cache, so the measured boots
  // start from the warmed root.
  log('warm-up boot (libvirt capability cache), then a clean power-off');
  const warm = await bootVm(images, 'warm', ['cryptvm_lab.measure=web', 'cryptvm_lab.boot_wait=5s']);
  await warm.res.wait('measure', 900_000, 'web in the warm-up boot');
  await warm.con.login();
  await warm.con.line('virsh destroy web; systemctl poweroff'); // web ignores ACPI: skip its shutdown_timeout
  await warm.con.exit;
  let n = 0;
  for (const v of variants) {
    n++;
    const guests = v.mode === 'attended' ? ALL : ['web'];
    const one = {
      ...images,
      root: await overlay(images.root, join(images.runDir, `root-${n}.qcow2`), 'qcow2'),
      disk2: await overlay(images.disk2, join(images.runDir, `disk2-${n}.qcow2`), 'qcow2'),
    };
    const label = `${v.mode}, ready = "${v.ready}", boot_wait ${v.bootWait}`;
    log(`measure ${n}/${variants.length}: ${label}`);
    const vm = await bootVm(one, `m${n}`, [`cryptvm_lab.ready=${v.ready}`, `cryptvm_lab.boot_wait=${v.bootWait}`, `cryptvm_lab.measure=${guests.join(',')}`]);
    try {
      if (v.mode === 'attended') {
        await vm.con.expect(PROMPT, 300_000, 'the passphrase prompt');
        await vm.con.line(PASSPHRASE);
      }
      const r = await vm.res.wait('measure', 900_000, 'the guests to start');
      const t = JSON.parse(r.out);
      const row = { ...v, ready_s: s(t.ready), web_s: s(t.web), allGuests_s: v.mode === 'attended' ? Math.max(...ALL.map((g) => s(t[g]) ?? Infinity)) : null, logins_s: s(t.userSessions) };
      log(`  ${JSON.stringify(row)}`);
      rows.push(row);
    } catch (e) {
      log(`  failed: ${e.message}`);
      rows.push({ ...v, error: e.message.slice(0, 300) });
    } finally {
      vm.con.kill();
      await vm.con.exit;
    }
  }
} finally {
  images?.stopHost();
}
if (images) writeFileSync(join(images.runDir, 'ready-timings.json'), `${JSON.stringify(rows, null, 2)}\n`);
const f = (x) => (x === null || x === undefined ? '—' : `${x} s`);
console.log('| boot | ready | boot_wait | boot → READY | boot → web | boot → all guests | boot → logins |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.mode} | ${r.ready} | ${r.bootWait} | ${r.error ? `error: ${r.error}` : `${f(r.ready_s)} | ${f(r.web_s)} | ${f(r.allGuests_s)} | ${f(r.logins_s)}`} |`);
process.exit(rows.some((r) => r.error) ? 1 : 0);
