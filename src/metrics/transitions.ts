// What changed between two status snapshots, as the events a fleet cares about. Pure: the daemon's status is
// the only input, so metrics and notifications never need hooks deep in the unlock or guest code.
import type { DaemonStatus, GuestStatus, VolumeStatus } from '../api/types.js';

export type FleetEvent =
  | { kind: 'volume-waiting'; volume: string; guests: string[] }
  | { kind: 'volume-open'; volume: string; source: string | undefined; skipped: string[] }
  /** An unlock ended without opening the volume: `reasons` per key source that did not work. */
  | { kind: 'volume-locked'; volume: string; reasons: string[] }
  | { kind: 'volume-failed'; volume: string; reason: string }
  | { kind: 'all-open'; volumes: string[] }
  | { kind: 'guest-start-failed'; guest: string; reason: string };

type Snapshot = Pick<DaemonStatus, 'volumes' | 'guests'>;

const NO_KEY = 'no key source opened it: ';

/** Events from `before` (undefined: the first snapshot) to `after`. */
export function transitions(before: Snapshot | undefined, after: Snapshot): FleetEvent[] {
  const events: FleetEvent[] = [];
  const prevVol = new Map((before?.volumes ?? []).map((v) => [v.name, v]));
  for (const v of after.volumes) {
    const p = prevVol.get(v.name);
    if (v.state === 'waiting-passphrase' && p?.state !== 'waiting-passphrase') events.push({ kind: 'volume-waiting', volume: v.name, guests: v.guests });
    if (v.state === 'open' && p !== undefined && p.state !== 'open') events.push({ kind: 'volume-open', volume: v.name, source: v.keySource, skipped: v.skipped });
    if (v.state === 'locked' && v.error?.startsWith(NO_KEY) && (p?.state !== 'locked' || p.error !== v.error)) {
      events.push({ kind: 'volume-locked', volume: v.name, reasons: v.error.slice(NO_KEY.length).split('; ') });
    }
    if (v.state === 'failed' && p?.state !== 'failed') events.push({ kind: 'volume-failed', volume: v.name, reason: v.error ?? '' });
  }
  const configured = (s: Snapshot | undefined): VolumeStatus[] => (s?.volumes ?? []).filter((v) => !v.removed);
  const allOpen = (s: Snapshot | undefined): boolean => configured(s).length > 0 && configured(s).every((v) => v.state === 'open');
  if (allOpen(after) && before !== undefined && !allOpen(before)) events.push({ kind: 'all-open', volumes: configured(after).map((v) => v.name) });
  const prevGuest = new Map((before?.guests ?? []).map((g) => [g.name, g]));
  for (const g of after.guests) {
    const p: GuestStatus | undefined = prevGuest.get(g.name);
    if (g.error !== undefined && g.error !== p?.error && g.state !== 'running') events.push({ kind: 'guest-start-failed', guest: g.name, reason: g.error });
  }
  return events;
}

/** The class of a key source label ("keyfile:/etc/…" → "keyfile", "https:https://…" → "https"). */
export function sourceClass(label: string | undefined): string {
  if (!label) return 'unknown';
  const cls = /^[a-z0-9-]+/.exec(label)?.[0] ?? 'unknown';
  return cls === 'tang' ? 'clevis' : cls;
}

/** The class of a volume's failure, for a label with few values. */
export function failureClass(error: string): string {
  if (/wrong passphrase/i.test(error)) return 'wrong-passphrase';
  if (error.startsWith(NO_KEY)) return 'no-key';
  if (/not a LUKS|not LUKS/i.test(error)) return 'not-luks';
  if (/UUID/.test(error)) return 'uuid-mismatch';
  if (/did not appear|does not exist|not found|no such device/i.test(error)) return 'device-missing';
  if (/mapping|already (open|exists|active)|in use/i.test(error)) return 'mapping-conflict';
  if (/mount/i.test(error)) return 'mount';
  return 'other';
}
