// cryptvm doctor: every configured device (and detached header) as it resolves right now. A device that is
// missing at boot makes its volume wait device_timeout and then fail; say so now, with what does resolve.
import { lstat, readlink } from 'node:fs/promises';
import { Devices } from '../adapters/devices.js';
import type { Config } from '../config/types.js';
import { errorMessage } from '../errors.js';

export interface DeviceFinding {
  level: 'problem' | 'note';
  what: string;
  fix: string;
}

/** Why a link path does not resolve: absent, or a symlink pointing at something absent. */
async function whyMissing(link: string): Promise<string> {
  const target = await readlink(link).catch(() => undefined);
  if (target !== undefined) return `${link} is a link to ${target}, which does not exist`;
  return (await lstat(link).then(() => true).catch(() => false)) ? `${link} cannot be resolved` : `${link} does not exist`;
}

export async function deviceFindings(config: Config, devices = new Devices()): Promise<DeviceFinding[]> {
  const out: DeviceFinding[] = [];
  for (const v of config.volumes) {
    let link: string;
    try {
      link = devices.linkPath(v.device);
    } catch (e) {
      out.push({ level: 'problem', what: `volume ${v.name}: ${errorMessage(e)}`, fix: 'fix device in the config' });
      continue;
    }
    const real = await devices.resolve(v.device);
    if (!real) {
      const seconds = Math.round(v.deviceTimeoutMs / 1000);
      out.push({
        level: 'problem',
        what: `volume ${v.name}: device ${v.device} does not exist right now (${await whyMissing(link)}); at boot the volume would wait ${seconds} s for it and then fail`,
        fix: 'check the disk is attached and the name is right (lsblk -o NAME,UUID,PARTUUID,LABEL; blkid), or fix device in the config',
      });
    }
    if (v.header && !(await devices.resolve(v.header))) {
      out.push({ level: 'problem', what: `volume ${v.name}: detached header ${v.header} does not exist right now (${await whyMissing(v.header)})`, fix: 'restore the header file or fix header in the config' });
    }
  }
  return out;
}
