// [daemon]: all tuning except state_dir, so bad values warn and fall back to the default.

import type { Problems } from './problem.js';
import type { RawDaemon } from './schema.js';
import type { DaemonConfig } from './types.js';
import { absolutePath, tuningDuration, tuningInt } from './values.js';

const SECOND = 1000;
const DAY = 86_400 * SECOND;

export const DAEMON_DEFAULTS: DaemonConfig = {
  libvirtUri: 'qemu:///system',
  bootWaitMs: 120 * SECOND,
  shutdownTimeoutMs: 180 * SECOND,
  parallelShutdown: 4,
  parallelUnlock: 0,
  stateDir: '/var/lib/cryptvm',
  ready: 'unattended',
};

/** Bounds for per-guest shutdown timeouts too: a graceful shutdown takes at least a second, at most a day. */
export const SHUTDOWN_TIMEOUT_RANGE: [number, number] = [SECOND, DAY];

export function resolveDaemon(raw: RawDaemon, p: Problems): DaemonConfig {
  const d = DAEMON_DEFAULTS;
  let libvirtUri = raw.libvirt_uri ?? d.libvirtUri;
  if (libvirtUri === '') {
    p.warn('daemon.libvirt_uri', `empty; using the default ${d.libvirtUri}`, `write libvirt_uri = "${d.libvirtUri}"`);
    libvirtUri = d.libvirtUri;
  }
  const stateDir =
    raw.state_dir === undefined ? d.stateDir : absolutePath(p, 'daemon.state_dir', raw.state_dir, 'state_dir');
  return {
    libvirtUri,
    bootWaitMs: tuningDuration(p, 'daemon.boot_wait', raw.boot_wait, d.bootWaitMs, [0, DAY]),
    shutdownTimeoutMs: tuningDuration(
      p, 'daemon.shutdown_timeout', raw.shutdown_timeout, d.shutdownTimeoutMs, SHUTDOWN_TIMEOUT_RANGE,
    ),
    parallelShutdown: tuningInt(p, 'daemon.parallel_shutdown', raw.parallel_shutdown, d.parallelShutdown, 1, 64),
    parallelUnlock: tuningInt(p, 'daemon.parallel_unlock', raw.parallel_unlock, d.parallelUnlock, 0, 64),
    // A relative state_dir is an error, so this value is never used then.
    stateDir: stateDir ?? d.stateDir,
    ready: raw.ready ?? d.ready,
  };
}
