// A volume before its unlock: the device is there, it is LUKS with the right UUID (no clone), or its mapping
// exists already and is adopted (then mounted). Throws what is wrong, naming the volume and the fix.
import type { Logger } from '../log/logger.js';
import { ev } from '../log/events.js';
import { CryptvmError } from '../errors.js';
import { adoptable } from './adoption.js';
import { checkLuksUuid, type LuksIdentities } from './luks-identity.js';
import type { VolumeRecord } from './volume-state.js';
import type { VolumeDeps } from './volumes.js';

export interface PrepareOps {
  deps: VolumeDeps;
  identities: LuksIdentities;
  /** A configured volume of that name (for the clone check). */
  known(name: string): boolean;
  set(r: VolumeRecord, patch: Partial<VolumeRecord>): void;
  mount(r: VolumeRecord, log: Logger): Promise<void>;
}

/** Device present, LUKS, right UUID; adopts an existing mapping. False when done (adopted) or failed. */
export async function prepareVolume(c: PrepareOps, r: VolumeRecord, signal: AbortSignal): Promise<boolean> {
  const { cfg } = r;
  const log = c.deps.log.child({ volume: cfg.name });
  if (!r.device) {
    c.set(r, { phase: 'waiting-device' });
    r.device = await c.deps.devices.waitFor(cfg.device, cfg.deviceTimeoutMs, signal, cfg.name);
  }
  const device = r.device;
  let existing = await c.deps.dm.findMapping(cfg.name);
  if (existing && !(await adoptable(c.deps, r, existing, device))) existing = null;
  if (existing) {
    const uuid = await c.deps.cryptsetup.luksUuid(device, cfg.header);
    // The dm UUID (CRYPT-LUKS2-<uuid>-<name>) proves the mapping is this device opened under this name.
    if (!c.deps.dm.isMappingOf(existing.uuid, uuid, cfg.name)) {
      throw new CryptvmError(
        'MappingConflict',
        `volume ${cfg.name}: /dev/mapper/${cfg.name} already exists but is not ${cfg.device} (dm uuid ${existing.uuid || 'none'}); close it (cryptsetup close ${cfg.name}) or rename the volume`,
        { volume: cfg.name },
      );
    }
    r.keySource = r.keySource ?? 'adopted';
    r.mounted = cfg.mount ? c.deps.mounts.isMounted(cfg.mount.where) : false;
    log.info(ev('volume-adopted', { mounted: r.mounted }), 'volume adopted');
    await c.mount(r, log);
    c.set(r, { phase: 'open', error: undefined });
    return false;
  }
  if (!(await c.deps.cryptsetup.isLuks(device, cfg.header))) {
    // An unreadable disk makes isLuks fail just like a blank one: tell them apart.
    const io = await c.deps.devices.readError?.(cfg.header ?? device);
    if (io && io !== 'ENOENT') {
      throw new CryptvmError('Failed', `volume ${cfg.name}: cannot read the LUKS header on ${cfg.header ?? cfg.device} (${cfg.header ?? device}): ${io === 'EIO' ? 'I/O error (EIO)' : io} — the disk or its path is failing: check dmesg and smartctl; the header itself may be fine`, { volume: cfg.name });
    }
    throw new CryptvmError('NotLuks', `volume ${cfg.name}: ${device} is not a LUKS device (or its header cannot be read); check device = "${cfg.device}"`, { volume: cfg.name });
  }
  // The header's UUID: what uuid / device = "UUID=…" name, and no other configured volume's (a clone).
  const uuid = await c.deps.cryptsetup.luksUuid(device, cfg.header);
  checkLuksUuid(cfg, device, uuid);
  c.identities.claim(cfg.name, device, uuid, c.known);
  if (!r.cost) r.cost = c.deps.cryptsetup.unlockCost(await c.deps.cryptsetup.metadata(device, cfg.header));
  return true;
}
