// Scenario d: power-off. The VM goes off within a bounded time; the next boot reads the previous boot's journal
// (persistent) and checks the order: guests asked, graceful ones off, the unresponsive one destroyed after
// shutdown_timeout, libvirtd stopped, filesystem unmounted, every mapping closed; no failed unit, no "busy".
import { cryptvmLog } from '../boot.mjs';
import { LAB_VOLUMES } from '../prepare.mjs';

export const POWEROFF_LIMIT_S = 180;

/** Types `systemctl poweroff` and waits for QEMU to exit; returns the seconds it took. */
export async function powerOff(t, { con }, label) {
  const t0 = Date.now();
  await con.line('systemctl poweroff');
  const timer = setTimeout(() => con.kill(), POWEROFF_LIMIT_S * 1000);
  await con.exit;
  clearTimeout(timer);
  const s = (Date.now() - t0) / 1000;
  t.check(`d: ${label} VM is off within ${POWEROFF_LIMIT_S} s`, s < POWEROFF_LIMIT_S, `${s.toFixed(1)} s`);
  return s;
}

const first = (log, pred) => log.find(pred);

/** Checks on the previous boot's journal (run in the boot after a power-off). */
export async function checkShutdownJournal(t, { res }, shutdownTimeoutS) {
  const log = await cryptvmLog(res, '-b -1');
  const asked = log.filter((l) => l.event === 'guest-shutdown-asked');
  const tAsk = asked.length ? Math.max(...asked.map((l) => l.t)) : Infinity;
  t.check('d: all guests asked to shut down', ['imap', 'web', 'office'].every((g) => asked.some((l) => l.guest === g)),
    asked.map((l) => l.guest).join(','));
  const graceful = ['imap', 'office'].map((g) => first(log, (l) => l.event === 'guest-shut-down' && l.guest === g));
  t.check('d: imap and office shut down gracefully after being asked', graceful.every((l) => l && l.t >= tAsk - 1),
    graceful.map((l) => l && `${l.guest}@${l.t.toFixed(1)}`).join(' '));
  const askWeb = first(log, (l) => l.event === 'guest-shutdown-asked' && l.guest === 'web');
  const late = first(log, (l) => l.event === 'guest-shutdown-timeout' && l.guest === 'web');
  const destroyed = first(log, (l) => l.event === 'guest-destroyed' && l.guest === 'web');
  const waited = late && askWeb ? late.t - askWeb.t : NaN;
  t.check('d: web (ignores ACPI) destroyed after shutdown_timeout', late?.action === 'destroy' && !!destroyed
    && waited >= shutdownTimeoutS - 1, `waited ${waited.toFixed?.(1)} s`);
  const sys = await res.sh("journalctl -b -1 -u libvirtd -o json --output-fields=MESSAGE | jq -r '"
    + "select(.MESSAGE|test(\"Stopped|Deactivated\")) | \"\\(.__MONOTONIC_TIMESTAMP|tonumber/1e6) \\(.MESSAGE)\"' | tail -1");
  const tLibvirtdStop = parseFloat(sys.out) || NaN;
  const lastGuest = Math.max(...log.filter((l) => l.event === 'guest-shut-down' || l.event === 'guest-destroyed').map((l) => l.t));
  t.check('d: libvirtd stopped after the guests', tLibvirtdStop > lastGuest, `${sys.out.trim().slice(0, 80)}`);
  const umount = first(log, (l) => l.event === 'filesystem-unmounted' && l.volume === 'cr_images');
  t.check('d: filesystem unmounted after libvirtd stopped', umount && umount.t >= tLibvirtdStop,
    umount ? `${umount.where} @${umount.t.toFixed(1)}` : 'no "filesystem unmounted"');
  // Every mapping is closed by cryptvm itself — not earlier by lvm2's blkdeactivate (blk-availability.service),
  // which closes unused mappings at power-off unless cryptvm.service is ordered after it.
  const volumes = LAB_VOLUMES;
  const closed = volumes.map((v) => first(log, (l) => l.event === 'volume-closed' && l.volume === v));
  t.check('d: every mapping closed by cryptvm, after libvirtd stopped', closed.every((l) => l && l.t >= tLibvirtdStop),
    closed.map((l, i) => l?.volume ?? `${volumes[i]}: missing`).join(','));
  const bad = await res.sh("journalctl -b -1 -o cat | grep -Ei 'Failed with result|busy' | head -5");
  t.check('d: no failed unit and no "busy" in the power-off journal', bad.out.trim() === '', bad.out.trim().slice(0, 200));
}
