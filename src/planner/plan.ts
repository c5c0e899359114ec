// `cryptvm plan`: what boot and shutdown would do, in order, from the config and the current status. Pure.
import type { Config, KeySourceSpec } from '../config/types.js';
import { guestOrder } from '../config/graph.js';
import { formatDuration } from '../config/duration.js';
import { isUnattended } from './ready.js';
import type { DaemonStatus, Plan, PlanStep } from '../api/types.js';
import { planGuestStops } from './shutdown.js';
import type { DomainRun, ObservedGuest } from './types.js';

function keyLabel(k: KeySourceSpec): string {
  if (k.kind === 'keyfile') return `keyfile:${k.path}`;
  if (k.kind === 'credential') return `credential:${k.name}`;
  if (k.kind === 'token') return k.tokenType ? `token:${k.tokenType}` : 'token';
  if (k.kind === 'https') return `https:${k.url}`;
  return k.kind; // prompt, clevis
}

export function describePlan(config: Config, status: DaemonStatus): Plan {
  const vstate = new Map(status.volumes.map((v) => [v.name, v]));
  const gstate = new Map(status.guests.map((g) => [g.name, g]));
  const boot: PlanStep[] = [];
  for (const v of config.volumes) {
    const s = vstate.get(v.name);
    const now = s?.state === 'open' ? ' (open now)' : '';
    const group = v.passphraseGroup ? `, passphrase group ${v.passphraseGroup}` : '';
    boot.push({ action: 'open', target: v.name, detail: `${v.device} with ${v.keys.map(keyLabel).join(', then ')}${group}${now}` });
    if (v.mount) boot.push({ action: 'mount', target: v.name, detail: `/dev/mapper/${v.name} on ${v.mount.where}` });
  }
  boot.push({ action: 'ready', target: 'cryptvm.service', detail: readyDetail(config) });
  const layers = guestOrder(config.guests);
  for (const layer of layers) {
    for (const name of layer) {
      const g = config.guests.find((x) => x.name === name);
      if (!g?.autostart) continue;
      const vols = gstate.get(name)?.volumes ?? g.volumes;
      const after = g.after.length ? `, after ${g.after.join(', ')}${g.delayMs ? ` + ${formatDuration(g.delayMs)}` : ''}` : '';
      const by = g.fromLibvirtAutostart ? " (libvirt's autostart flag, no [[guest]] table)" : '';
      boot.push({ action: 'start', target: name, detail: `when ${vols.length ? vols.join(', ') : 'no volumes'} open${after}${by}` });
    }
  }
  return { boot, shutdown: describeShutdown(config, status), conflicts: conflicts(config, status) };
}

/**
 * The shutdown the daemon would run now, from the very functions its stop path runs: guest layers from
 * planGuestStops (every guest of a layer is off before the next begins; within a layer in parallel, up to
 * parallel_shutdown at once), then every open volume unmounted and closed, all at once. A guest or volume
 * the status does not know yet (before READY) counts as running or open.
 */
function describeShutdown(config: Config, status: DaemonStatus): PlanStep[] {
  const gstate = new Map(status.guests.map((g) => [g.name, g]));
  const vstate = new Map(status.volumes.map((v) => [v.name, v]));
  const observed: ObservedGuest[] = config.guests.map((g) => {
    const s = gstate.get(g.name);
    const run: DomainRun = !s || ['running', 'paused', 'starting', 'stopping'].includes(s.state) ? 'running' : 'shut-off';
    return { name: g.name, run, volumes: s?.volumes ?? g.volumes, wanted: false, startedAtMs: undefined };
  });
  const steps: PlanStep[] = [];
  const layers = planGuestStops(config, observed);
  layers.forEach((layer, i) => {
    for (const name of layer) {
      const g = config.guests.find((x) => x.name === name);
      if (!g) continue;
      const others = layer.filter((n) => n !== name);
      const together = others.length ? `, in parallel with ${others.join(', ')}` : '';
      steps.push({ action: 'shutdown', target: name, layer: i + 1, detail: `ACPI shutdown, ${formatDuration(g.shutdownTimeoutMs)} then ${g.onTimeout}${together}` });
    }
  });
  const closing = config.volumes.filter((v) => { const s = vstate.get(v.name); return !s || s.state === 'open'; });
  const layer = layers.length + 1;
  for (const v of closing) {
    if (v.mount) steps.push({ action: 'unmount', target: v.name, layer, detail: v.mount.where });
    const others = closing.filter((o) => o !== v).map((o) => o.name);
    const together = others.length ? `, in parallel with ${others.join(', ')}` : '';
    steps.push({ action: 'close', target: v.name, layer, detail: `/dev/mapper/${v.name}, retried while busy${v.mount ? ', after its unmount' : ''}${together}` });
  }
  return steps;
}

function readyDetail(config: Config): string {
  const wait = formatDuration(config.daemon.bootWaitMs);
  if (config.daemon.ready === 'all') return `READY=1 when every volume is open (or gave up) or after ${wait}; libvirtd starts then`;
  const alone = config.volumes.filter((v) => isUnattended(v.keys)).map((v) => v.name);
  const what = alone.length > 0 ? `when ${alone.join(', ')} (no person needed) ${alone.length === 1 ? 'is' : 'are'} open or gave up` : 'at once (every volume needs a person)';
  return `READY=1 ${what}, or after ${wait}; libvirtd starts then. Volumes waiting for a passphrase hold back only their guests; the console keeps the prompt until answered or ${wait}`;
}

function conflicts(config: Config, status: DaemonStatus): string[] {
  const out: string[] = [];
  for (const g of status.guests) {
    const cfg = config.guests.find((x) => x.name === g.name);
    if (g.state === 'missing') out.push(`guest ${g.name}: no such libvirt domain — define it or remove it from the config`);
    // libvirt's autostart on a guest cryptvm starts is fine (a start libvirt did counts as done); on one the
    // table keeps cryptvm from starting, libvirtd starts it whether its volumes are open or not.
    if (cfg && !cfg.autostart && g.libvirtAutostart) out.push(`guest ${g.name}: autostart = false in the config, but libvirt's autostart flag is set: libvirtd starts it at its own start without waiting for its volumes — run: virsh autostart --disable ${g.name}, or drop autostart = false`);
    if (g.volumes.length === 0) out.push(`guest ${g.name}: uses no cryptvm volume, so nothing gates it — list its volumes or check its disks`);
  }
  return out;
}
