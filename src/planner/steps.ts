// The steps of a boot and of a shutdown: what `cryptvm plan` prints and what the daemon executes, one value
// for both. Steps of one layer run in parallel and layer n+1 begins when layer n is done; within a layer,
// the steps of one target run in the order listed (a volume is unmounted, then closed). Plain data (JSON).
import type { OnTimeout, ReadyMode } from '../config/types.js';

export interface OpenStep {
  kind: 'open';
  layer: number;
  volume: string;
  /** The device as configured (path, UUID=…, …). */
  device: string;
  /** The key sources in the order they are tried: 'keyfile:/etc/…', 'credential:x', 'token:systemd-tpm2', 'prompt', … */
  keys: string[];
  passphraseGroup: string | undefined;
  /** Open already (opened earlier, or adopted): executing it changes nothing. */
  open: boolean;
}

export interface MountStep {
  kind: 'mount';
  layer: number;
  volume: string;
  /** /dev/mapper/<volume> */
  mapping: string;
  where: string;
}

export interface ReadyStep {
  kind: 'ready';
  layer: number;
  /** The unit whose READY=1 lets libvirtd start. */
  unit: string;
  mode: ReadyMode;
  /** Volumes READY=1 waits for ([daemon] ready): all of them, or those that need no person. */
  waitsFor: string[];
  bootWaitMs: number;
}

export interface StartStep {
  kind: 'start';
  layer: number;
  guest: string;
  /** Volumes that must be open first. */
  volumes: string[];
  after: string[];
  delayMs: number;
  /** Gated through libvirt's autostart flag, without a [[guest]] table. */
  fromLibvirtAutostart: boolean;
}

/** What a shutdown does when the guest is not off after its timeout (on_timeout). */
export type TimeoutStep = DestroyStep | SaveStep;

export interface ShutdownStep {
  kind: 'shutdown';
  layer: number;
  guest: string;
  /** ACPI shutdown, then up to this long for the guest to power off. */
  timeoutMs: number;
  onTimeout: OnTimeout;
  /** Runs (in this layer) only when the guest is still running after timeoutMs. */
  fallback: TimeoutStep;
}

export interface SaveStep {
  kind: 'save';
  layer: number;
  guest: string;
  when: 'shutdown-timed-out';
  /** Runs when the save is refused (libvirt's save directory not on an encrypted volume) or fails. */
  fallback: DestroyStep;
}

export interface DestroyStep {
  kind: 'destroy';
  layer: number;
  guest: string;
  when: 'shutdown-timed-out' | 'save-refused-or-failed';
}

export interface UnmountStep {
  kind: 'unmount';
  layer: number;
  volume: string;
  where: string;
  /** Retried while busy, up to this long. */
  timeoutMs: number;
}

export interface CloseStep {
  kind: 'close';
  layer: number;
  volume: string;
  mapping: string;
  /** Retried while busy, up to this long. */
  timeoutMs: number;
}

export type Step = OpenStep | MountStep | ReadyStep | StartStep | ShutdownStep | SaveStep | DestroyStep | UnmountStep | CloseStep;

export type StepKind = Step['kind'];

/** The volume, guest or unit a step acts on. */
export function stepTarget(s: Step): string {
  if (s.kind === 'ready') return s.unit;
  return 'guest' in s ? s.guest : s.volume;
}

/** The steps with the fallbacks they carry, each right after the step that may run it. */
export function withFallbacks(steps: readonly Step[]): Step[] {
  const out: Step[] = [];
  const add = (s: Step): void => {
    out.push(s);
    if (s.kind === 'shutdown' || s.kind === 'save') add(s.fallback);
  };
  for (const s of steps) add(s);
  return out;
}

/** Steps grouped by layer, in layer order. */
export function byLayer<S extends Step>(steps: readonly S[]): S[][] {
  const layers = new Map<number, S[]>();
  for (const s of steps) layers.set(s.layer, [...(layers.get(s.layer) ?? []), s]);
  return [...layers.keys()].sort((a, b) => a - b).map((k) => layers.get(k)!);
}
