// Which LUKS header a volume's device must carry. A device named by `device = "UUID=…"` must have that LUKS
// UUID in the header that is opened (udev's by-uuid link can point at another disk with the same filesystem
// UUID, e.g. a clone); an explicit `uuid` is checked the same way. And two configured volumes must not open
// devices with the same LUKS UUID: one of them is a clone, and which one udev links is chance.
import type { VolumeConfig } from '../config/types.js';
import { CryptvmError } from '../errors.js';

/**
 * The LUKS UUID the opened header must have: `uuid`, else the UUID= of `device`. Not with a detached
 * header: then UUID= names the data device, which carries no LUKS header of its own.
 */
export function expectedLuksUuid(cfg: Pick<VolumeConfig, 'uuid' | 'device' | 'header'>): string | undefined {
  if (cfg.uuid) return cfg.uuid.toLowerCase();
  if (cfg.header) return undefined;
  const tag = /^UUID="?([^"]+)"?$/.exec(cfg.device);
  return tag ? tag[1]!.toLowerCase() : undefined;
}

/** Throws WrongDevice when `uuid` (what the header says) is not what the volume's configuration names. */
export function checkLuksUuid(cfg: VolumeConfig, device: string, uuid: string): void {
  const want = expectedLuksUuid(cfg);
  if (want === undefined || uuid.toLowerCase() === want) return;
  const what = cfg.uuid ? 'uuid' : 'device';
  throw new CryptvmError('WrongDevice', `volume ${cfg.name}: ${device} has LUKS UUID ${uuid}, expected ${want}; fix ${what} in the config`, { volume: cfg.name });
}

/** The LUKS UUID each volume's device had when it was last prepared. */
export class LuksIdentities {
  private readonly byVolume = new Map<string, { device: string; uuid: string }>();

  /** Records the volume's device and UUID; throws when another configured volume has the same UUID on another device. */
  claim(volume: string, device: string, uuid: string, configured: (name: string) => boolean): void {
    const u = uuid.toLowerCase();
    for (const [other, id] of this.byVolume) {
      if (other === volume || id.uuid !== u || id.device === device || !configured(other)) continue;
      throw new CryptvmError(
        'WrongDevice',
        `volume ${volume}: ${device} has LUKS UUID ${uuid}, the same as ${id.device} of volume ${other} — a cloned disk? Give one of them a new UUID (cryptsetup luksUUID --uuid=… on the clone) or remove it from the configuration`,
        { volume },
      );
    }
    this.byVolume.set(volume, { device, uuid: u });
  }
}
