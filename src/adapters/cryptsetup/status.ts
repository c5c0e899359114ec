// Parses `cryptsetup status NAME` (stdout, LC_ALL=C):
//   /dev/mapper/NAME is active and is in use.
//     type:    LUKS2
//     cipher:  aes-xts-plain64
//     device:  /dev/loop0
//     mode:    readonly
//     flags:   discards
// cryptsetup prints no dm UUID here; DeviceMapper.findMapping reads it from sysfs.

export interface MappingStatus {
  name: string;
  /** 'LUKS2', 'LUKS1', 'PLAIN', … as cryptsetup prints it. */
  type: string;
  /** The backing (data) device. */
  device: string;
  /** For a loop device, the file behind it. */
  loopFile?: string;
  cipher?: string;
  readonly: boolean;
  /** cryptsetup said "is in use" (opened by someone: a guest, a mount, a stacked device). */
  inUse: boolean;
  discards: boolean;
  dmUuid?: string;
}

export function parseStatus(name: string, stdout: string): MappingStatus | null {
  const lines = stdout.split('\n');
  const head = lines[0] ?? '';
  if (/ is inactive\.?$/.test(head) || !/ is active/.test(head)) return null;
  const fields = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const m = /^\s+([a-z ]+):\s+(.*)$/.exec(line);
    if (m?.[1] && m[2] !== undefined) fields.set(m[1].trim(), m[2].trim());
  }
  const mode = fields.get('mode') ?? '';
  return {
    name,
    type: fields.get('type') ?? 'n/a',
    device: fields.get('device') ?? '',
    loopFile: fields.get('loop'),
    cipher: fields.get('cipher'),
    readonly: mode.startsWith('readonly'),
    inUse: head.includes('in use'),
    discards: /\bdiscards\b/.test(fields.get('flags') ?? ''),
  };
}
