// `cryptvm plan`: what boot and shutdown would do, in order, from the config and the current status. Pure.
import type { Config, KeySourceSpec } from '../config/types.js';
import { guestOrder } from '../config/graph.js';
import { formatDuration } from '../config/duration.js';
import type { DaemonStatus, Plan, PlanStep } from '../daemon/control.js';

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
  boot.push({ action: 'ready', target: 'cryptvm.service', detail: `READY=1 when all volumes are open or after ${formatDuration(config.daemon.bootWaitMs)}; libvirtd starts then` });
  const layers = guestOrder(config.guests);
  for (const layer of layers) {
    for (const name of layer) {
      const g = config.guests.find((x) => x.name === name);
      if (!g?.autostart) continue;
      const vols = gstate.get(name)?.volumes ?? g.volumes;
      const after = g.after.length ? `, after ${g.after.join(', ')}${g.delayMs ? ` + ${formatDuration(g.delayMs)}` : ''}` : '';
      boot.push({ action: 'start', target: name, detail: `when ${vols.length ? vols.join(', ') : 'no volumes'} open${after}` });
    }
  }
  const shutdown: PlanStep[] = [];
  for (const layer of [...layers].reverse()) {
    for (const name of layer) {
      const g = config.guests.find((x) => x.name === name);
      if (!g) continue;
      const others = layer.filter((n) => n !== name);
      const together = others.length ? `, in parallel with ${others.join(', ')}` : '';
      shutdown.push({ action: 'shutdown', target: name, detail: `ACPI shutdown, ${formatDuration(g.shutdownTimeoutMs)} then ${g.onTimeout}${together}` });
    }
  }
  for (const v of [...config.volumes].reverse()) {
    if (v.mount) shutdown.push({ action: 'unmount', target: v.name, detail: v.mount.where });
    shutdown.push({ action: 'close', target: v.name, detail: `/dev/mapper/${v.name}, retried while busy` });
  }
  return { boot, shutdown, conflicts: conflicts(config, status) };
}

function conflicts(config: Config, status: DaemonStatus): string[] {
  const out: string[] = [];
  for (const g of status.guests) {
    const cfg = config.guests.find((x) => x.name === g.name);
    if (g.state === 'missing') out.push(`guest ${g.name}: no such libvirt domain — define it or remove it from the config`);
    if (cfg?.autostart && g.libvirtAutostart) out.push(`guest ${g.name}: libvirt autostart is also enabled and would race cryptvm — run: virsh autostart --disable ${g.name}`);
    if (g.volumes.length === 0) out.push(`guest ${g.name}: uses no cryptvm volume, so nothing gates it — list its volumes or check its disks`);
  }
  return out;
}
