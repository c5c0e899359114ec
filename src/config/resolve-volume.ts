// One [[volume]] table: identity (name, device, uuid) and paths are safety, the rest tuning.

import { parseKeys } from './keyspec.js';
import { unsafeName } from './names.js';
import type { Problems } from './problem.js';
import type { RawVolume } from './schema.js';
import type { VolumeConfig } from './types.js';
import { absolutePath, tuningDuration, tuningInt } from './values.js';

/** Device-mapper names: what dm accepts and what stays a plain file name under /dev/mapper. */
const DM_NAME = /^[A-Za-z0-9_.+][A-Za-z0-9_.+-]{0,126}$/;
const TAG = /^(UUID|PARTUUID|LABEL)=(.*)$/;
export const LUKS_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function resolveVolume(raw: RawVolume, base: string, p: Problems, checkOwnership: boolean): VolumeConfig {
  const k = (leaf: string): string => `${base}.${leaf}`;
  const { name } = raw;
  if (!DM_NAME.test(name) || name === '.' || name === '..' || name === 'control') {
    const why = name === 'control' ? 'is reserved by device-mapper' : `is not a valid device-mapper name${name.startsWith('-') ? ' (it starts with "-")' : ''}`;
    const fix = 'use 1–127 characters from A-Z a-z 0-9 _ . + -, not starting with "-", e.g. "cr_data"';
    p.error(k('name'), `${JSON.stringify(name)} ${why}`, fix);
  }
  const tag = TAG.exec(raw.device);
  if (tag) {
    const fix = `write ${tag[1]}=… with the device's ${tag[1]}`;
    if (tag[2] === '') p.error(k('device'), `${tag[1]}= has no value`, fix);
  } else absolutePath(p, k('device'), raw.device, 'device');
  if (raw.uuid !== undefined && !LUKS_UUID.test(raw.uuid)) {
    const fix = 'copy it from `cryptsetup luksUUID DEVICE` (like 12345678-9abc-def0-1234-56789abcdef0)';
    p.error(k('uuid'), `${JSON.stringify(raw.uuid)} is not a LUKS UUID`, fix);
  }
  if (raw.passphrase_group === '') p.error(k('passphrase_group'), 'is empty', 'name the group, or remove the key');
  const groupWhy = raw.passphrase_group === undefined ? undefined : unsafeName(raw.passphrase_group);
  if (groupWhy) p.error(k('passphrase_group'), `${JSON.stringify(raw.passphrase_group)} ${groupWhy}`, 'use letters, digits, "_" and "-", e.g. "data"');
  const header = raw.header === undefined ? undefined : absolutePath(p, k('header'), raw.header, 'header');
  const mount = raw.mount && {
    where: absolutePath(p, k('mount.where'), raw.mount.where, 'mount point') ?? raw.mount.where,
    options: raw.mount.options ?? '',
    type: raw.mount.type === '' ? undefined : raw.mount.type,
  };
  const headless = raw.headless ?? false;
  if (headless && raw.keys === undefined) {
    const msg = 'headless volume has no keys, and the default "prompt" is refused for it';
    p.error(k('headless'), msg, 'list its key sources, e.g. keys = ["token", "clevis"]');
  }
  const keys = raw.keys === undefined && headless ? [] : parseKeys(p, k('keys'), raw.keys ?? ['prompt'], { volume: name, checkOwnership, headless });
  if (mount?.where === '/') p.error(k('mount.where'), 'cannot mount over /', 'mount it on its own directory');
  return {
    name,
    device: raw.device,
    uuid: raw.uuid?.toLowerCase(),
    keys,
    passphraseGroup: raw.passphrase_group,
    discard: raw.discard ?? false,
    readonly: raw.readonly ?? false,
    header: header ?? raw.header,
    tries: tuningInt(p, k('tries'), raw.tries, 3, 1, 10),
    deviceTimeoutMs: tuningDuration(p, k('device_timeout'), raw.device_timeout, 90_000, [1000, 86_400_000]),
    headless,
    allowEmpty: raw.allow_empty ?? false,
    // A TPM answers in well under a second; FIDO2 keys wait for a touch, so the default allows for a human.
    tokenTimeoutMs: tuningDuration(p, k('token_timeout'), raw.token_timeout, 30_000, [1000, 3_600_000]),
    // Includes waiting for the network at boot (backed-off retries), so generous by default.
    networkTimeoutMs: tuningDuration(p, k('network_timeout'), raw.network_timeout, 60_000, [1000, 86_400_000]),
    mount,
    line: p.lineOf(base),
  };
}
