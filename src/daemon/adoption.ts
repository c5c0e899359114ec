// Adopting what the kernel already has, and explaining what it refuses: a mapping of the volume's name is
// adopted only when its dm UUID proves it is this LUKS device under this name AND it is live on the configured
// block device; cryptsetup's "device in use" is turned into the configured path and the mapping that holds it.
import { basename } from 'node:path';
import type { Mapping } from '../adapters/dm.js';
import { CryptvmError } from '../errors.js';
import { ev } from '../log/events.js';
import type { VolumeDeps } from './volumes.js';
import type { VolumeRecord } from './volume-state.js';

/** cryptsetup's "Cannot use device /dev/dm-4 which is in use": name the configured device and its holder. */
export async function explainInUse(deps: Pick<VolumeDeps, 'dm'>, r: VolumeRecord, e: unknown): Promise<unknown> {
  if (!(e instanceof CryptvmError) || e.code !== 'MappingConflict' || !/in use/i.test(e.message) || !r.device) return e;
  const { cfg } = r;
  const holders = await deps.dm.holdersOfDevice(r.device).catch(() => [] as string[]);
  const dev = r.device === cfg.device ? cfg.device : `${cfg.device} (${r.device})`;
  const mapping = holders.map((h) => /^mapping (\S+)/.exec(h)?.[1]).find(Boolean);
  const fix = mapping
    ? `it is open under another name: close that mapping (cryptsetup close ${mapping}) when nothing uses it, or rename this volume to ${mapping} in the config`
    : 'something else holds it (a mount, md, LVM or a process): see lsblk and fuser -v';
  return new CryptvmError('MappingConflict', `volume ${cfg.name}: cannot open ${dev}: it is in use${holders.length ? ` by ${holders.join(', ')}` : ''} — ${fix}`, { volume: cfg.name, cause: e });
}

/**
 * An existing mapping of this name, proved ours by its dm UUID, is adopted only when it is live: a half-made
 * one (no table: a cryptsetup killed mid-open) is removed and opened again (false); a suspended one, or one on
 * another block device than the configured one, is refused.
 */
export async function adoptable(deps: Pick<VolumeDeps, 'dm' | 'cryptsetup' | 'log'>, r: VolumeRecord, m: Mapping, device: string): Promise<boolean> {
  const { cfg } = r;
  const uuid = await deps.cryptsetup.luksUuid(device, cfg.header);
  if (!deps.dm.isMappingOf(m.uuid, uuid, cfg.name)) return true; // the UUID check below names the conflict
  const s = await deps.dm.mappingState(m);
  if (!s.hasTable) {
    deps.log.warn(ev('volume-half-made', { volume: cfg.name, dm: m.dmName }), `volume ${cfg.name}: /dev/mapper/${cfg.name} is half-made (no table: a cryptsetup killed while opening it); removing it and opening again`);
    await deps.dm.removeHalfMade(cfg.name);
    return false;
  }
  if (s.suspended) {
    throw new CryptvmError('MappingConflict', `volume ${cfg.name}: /dev/mapper/${cfg.name} is suspended (dmsetup info ${cfg.name}); cryptvm does not adopt a suspended mapping: resume it (dmsetup resume ${cfg.name}) or close it, then run cryptvm unlock ${cfg.name}`, { volume: cfg.name });
  }
  const own = basename(device);
  if (s.slaves.length > 0 && !s.slaves.includes(own)) {
    throw new CryptvmError('MappingConflict', `volume ${cfg.name}: /dev/mapper/${cfg.name} has this volume's LUKS UUID but sits on /dev/${s.slaves.join(', /dev/')}, not on ${cfg.device} (${device}): a clone of the disk? Close it (cryptsetup close ${cfg.name}) or fix device in the config`, { volume: cfg.name });
  }
  return true;
}
