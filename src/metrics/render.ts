// The Prometheus text exposition (format 0.0.4) of cryptvm's state, for node_exporter's textfile collector.
// Pure: a MetricsState in, text out. Names follow Prometheus' conventions (cryptvm_ prefix, base units,
// _seconds, _total for counters, _info for constant 1 with labels). Labels carry names and classes only:
// never a secret, never a URL or path (a key source is its class: keyfile, credential, prompt, token, …).
import type { GuestPhase, VolumePhase } from '../api/types.js';
import { failureClass } from './transitions.js';
import type { MetricsState } from './state.js';

export const VOLUME_STATES: readonly VolumePhase[] = ['waiting-device', 'locked', 'unlocking', 'waiting-passphrase', 'open', 'closing', 'failed'];
export const GUEST_STATES: readonly GuestPhase[] = ['running', 'shut-off', 'starting', 'stopping', 'waiting', 'paused', 'missing', 'unknown'];

type Labels = Record<string, string>;

/** Label values escaped as the exposition format wants: backslash, double quote and newline. */
export function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function sample(name: string, labels: Labels, value: number): string {
  const l = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
  return `${name}${l ? `{${l}}` : ''} ${Number.isInteger(value) ? value : value.toFixed(3)}`;
}

class Out {
  readonly lines: string[] = [];
  family(name: string, type: 'gauge' | 'counter', help: string, samples: [Labels, number][]): void {
    if (samples.length === 0) return;
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) this.lines.push(sample(name, labels, value));
  }
}

export function renderMetrics(m: MetricsState, version: string): string {
  const o = new Out();
  const s = m.last;
  const volumes = (s?.volumes ?? []).filter((v) => !v.removed);
  const guests = s?.guests ?? [];
  o.family('cryptvm_build_info', 'gauge', 'cryptvm version; always 1.', [[{ version }, 1]]);
  o.family('cryptvm_up', 'gauge', '1 while cryptvmd runs; 0 once it stopped (the other values are then its last).', [[{}, m.up ? 1 : 0]]);
  o.family('cryptvm_start_time_seconds', 'gauge', 'When cryptvmd started, seconds since the Unix epoch.', [[{}, m.startWallSeconds]]);
  o.family('cryptvm_ready_seconds', 'gauge', 'Seconds from cryptvmd start to READY=1 (libvirtd may start).', m.readySeconds === undefined ? [] : [[{}, m.readySeconds]]);
  o.family(
    'cryptvm_volume_state',
    'gauge',
    'Volume state: 1 for the current state of each configured volume, 0 for the others.',
    volumes.flatMap((v) => VOLUME_STATES.map((st): [Labels, number] => [{ volume: v.name, state: st }, v.state === st ? 1 : 0])),
  );
  o.family(
    'cryptvm_volume_failed',
    'gauge',
    'A volume that could not be opened, with the class of the reason (see cryptvm status for the message).',
    volumes.filter((v) => v.error !== undefined && (v.state === 'failed' || v.state === 'locked')).map((v) => [{ volume: v.name, reason: failureClass(v.error!) }, 1]),
  );
  const timings = volumes.flatMap((v) => {
    const t = m.volumes.get(v.name);
    return v.state === 'open' && t ? [{ name: v.name, t }] : [];
  });
  o.family('cryptvm_volume_unlock_duration_seconds', 'gauge', 'How long the open volume took to open (from cryptvmd start or its last lock).', timings.filter((x) => x.t.unlockSeconds !== undefined).map((x) => [{ volume: x.name }, x.t.unlockSeconds!]));
  o.family('cryptvm_volume_key_source_info', 'gauge', 'The class of key source that opened the volume (keyfile, credential, prompt, token, clevis, https, adopted).', timings.map((x) => [{ volume: x.name, source: x.t.source ?? 'unknown' }, 1]));
  o.family(
    'cryptvm_guest_state',
    'gauge',
    'Guest state: 1 for the current state of each configured guest, 0 for the others ("waiting": for its volumes).',
    guests.flatMap((g) => GUEST_STATES.map((st): [Labels, number] => [{ guest: g.name, state: st }, g.state === st ? 1 : 0])),
  );
  o.family('cryptvm_guest_start_failed', 'gauge', '1 when cryptvm could not start the guest (see cryptvm status for the message).', guests.map((g) => [{ guest: g.name }, g.error !== undefined && g.state !== 'running' ? 1 : 0]));
  o.family(
    'cryptvm_guest_shutdowns_total',
    'counter',
    'Guests stopped by cryptvm since it started, by outcome: graceful (ACPI), saved (managedsave) or destroyed (forced off).',
    [...m.shutdowns.entries()].sort().map(([k, n]) => {
      const [guest, outcome] = k.split('\0') as [string, string];
      return [{ guest, outcome }, n];
    }),
  );
  o.family('cryptvm_wrong_passphrases_total', 'counter', 'Typed passphrases that did not open the volume.', volumes.map((v) => [{ volume: v.name }, m.wrongPassphrases.get(v.name) ?? 0]));
  o.family('cryptvm_key_source_failures_total', 'counter', 'Key sources that were tried and did not open a volume, by class.', [...m.keySourceFailures.entries()].sort().map(([source, n]) => [{ source }, n]));
  return `${o.lines.join('\n')}\n`;
}
