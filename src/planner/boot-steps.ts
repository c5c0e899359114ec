// The boot as steps: every volume opened (and mounted) at once, READY=1, then the guests in `after=` order.
// The daemon runs the opens and READY=1 from these steps; each guest starts as soon as its own volumes are
// open (planGuestStarts), so the start layers are an order, not a barrier behind every open. Pure.
import type { Config, GuestConfig, KeySourceSpec } from '../config/types.js';
import { guestOrder } from '../config/graph.js';
import { isUnattended } from './ready.js';
import type { MountStep, OpenStep, ReadyStep, StartStep, Step } from './steps.js';
import type { VolumePhase } from './types.js';

export const OPEN_LAYER = 1;
export const MOUNT_LAYER = 2;
export const READY_LAYER = 3;
const FIRST_START_LAYER = 4;

export function keyLabel(k: KeySourceSpec): string {
  if (k.kind === 'keyfile') return `keyfile:${k.path}`;
  if (k.kind === 'credential') return `credential:${k.name}`;
  if (k.kind === 'token') return k.tokenType ? `token:${k.tokenType}` : 'token';
  if (k.kind === 'https') return `https:${k.url}`;
  return k.kind; // prompt, clevis
}

export interface BootVolume {
  name: string;
  state: VolumePhase;
}

/** An open step per configured volume, then a mount step per volume with a mount point (after its open). */
export function volumeSteps(config: Config, volumes: readonly BootVolume[]): (OpenStep | MountStep)[] {
  const state = new Map(volumes.map((v) => [v.name, v.state]));
  const opens = config.volumes.map((v): OpenStep => ({
    kind: 'open', layer: OPEN_LAYER, volume: v.name, device: v.device, keys: v.keys.map(keyLabel), passphraseGroup: v.passphraseGroup, open: state.get(v.name) === 'open',
  }));
  const mounts = config.volumes.flatMap((v): MountStep[] => (v.mount ? [{ kind: 'mount', layer: MOUNT_LAYER, volume: v.name, mapping: `/dev/mapper/${v.name}`, where: v.mount.where }] : []));
  return [...opens, ...mounts];
}

export function readyStep(config: Config, unit: string): ReadyStep {
  const counted = config.daemon.ready === 'all' ? config.volumes : config.volumes.filter((v) => isUnattended(v.keys));
  return { kind: 'ready', layer: READY_LAYER, unit, mode: config.daemon.ready, waitsFor: counted.map((v) => v.name), bootWaitMs: config.daemon.bootWaitMs };
}

/** Guest → the layer of its start step: its depth in the `after=` graph. */
export function startLayers(config: Config): Map<string, number> {
  const layers = new Map<string, number>();
  guestOrder(config.guests).forEach((layer, i) => {
    for (const name of layer) layers.set(name, FIRST_START_LAYER + i);
  });
  return layers;
}

export function startStep(g: GuestConfig | undefined, name: string, volumes: readonly string[], layers: ReadonlyMap<string, number>): StartStep {
  return {
    kind: 'start',
    layer: layers.get(name) ?? FIRST_START_LAYER,
    guest: name,
    volumes: [...volumes],
    after: g?.after ?? [],
    delayMs: g?.delayMs ?? 0,
    fromLibvirtAutostart: Boolean(g?.fromLibvirtAutostart),
  };
}

/** The boot: opens, mounts, READY=1, then a start step for every autostart guest. */
export function bootSteps(config: Config, volumes: readonly BootVolume[], guestVolumes: ReadonlyMap<string, readonly string[]>, unit: string): Step[] {
  const layers = startLayers(config);
  const cfg = new Map(config.guests.map((g) => [g.name, g]));
  const starts = guestOrder(config.guests)
    .flat()
    .flatMap((name) => {
      const g = cfg.get(name);
      return g?.autostart ? [startStep(g, name, guestVolumes.get(name) ?? g.volumes, layers)] : [];
    });
  return [...volumeSteps(config, volumes), readyStep(config, unit), ...starts];
}
