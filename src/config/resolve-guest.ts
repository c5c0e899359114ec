// One [[guest]] table. References to other guests and volumes are checked in cross.ts, with all names known.

import { unsafeName } from './names.js';
import type { Problems } from './problem.js';
import { SHUTDOWN_TIMEOUT_RANGE } from './resolve-daemon.js';
import type { RawGuest } from './schema.js';
import type { GuestConfig } from './types.js';
import { tuningDuration } from './values.js';

export function resolveGuest(raw: RawGuest, base: string, p: Problems, shutdownTimeoutMs: number): GuestConfig {
  const k = (leaf: string): string => `${base}.${leaf}`;
  const { name } = raw;
  // libvirt's own rules: any non-empty name without "/" (it names files under /etc/libvirt/qemu).
  if (name === '' || name.includes('/') || name.length > 200) {
    const msg = `${JSON.stringify(name)} is not a valid libvirt domain name`;
    p.error(k('name'), msg, 'use the name `virsh list --all` shows');
  }
  const why = unsafeName(name);
  if (why) p.error(k('name'), `${JSON.stringify(name)} ${why}`, 'rename the domain (virsh domrename) to a name without control characters that does not start with "-"');
  return {
    name,
    autostart: raw.autostart ?? true,
    after: raw.after ?? [],
    delayMs: tuningDuration(p, k('delay'), raw.delay, 0, [0, 3_600_000]),
    onTimeout: raw.on_timeout ?? 'destroy',
    shutdownTimeoutMs: tuningDuration(
      p, k('shutdown_timeout'), raw.shutdown_timeout, shutdownTimeoutMs, SHUTDOWN_TIMEOUT_RANGE,
    ),
    volumes: raw.volumes ?? [],
    line: p.lineOf(base),
  };
}
