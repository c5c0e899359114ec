// The daemon's stop, once systemd said what kind it is: on an explicit stop, the guests' shutdown layers, then
// the unmounts and closes of the volumes no running guest holds; on a restart, nothing at all.
import type { SystemdUnits } from '../adapters/systemd.js';
import type { Notifier } from '../adapters/notify.js';
import type { Clock } from '../clock.js';
import { errorMessage } from '../errors.js';
import { ev } from '../log/events.js';
import { extendWhile } from './keepalive.js';
import { decideStop, libvirtActive } from './stop-intent.js';
import { closeVolumes, logFailures, nextLayer, stopGuestLayers, type StopPath } from './stop-path.js';

export interface StopNow extends StopPath {
  units: SystemdUnits | undefined;
  unitName: string;
  systemState: (() => Promise<string>) | undefined;
  /** Connect to libvirt (false: it does not answer). */
  goLive(): Promise<boolean>;
  /** Aborted once the guests are done: the libvirt link stops retrying. */
  stopping: AbortController;
}

export interface StopDaemon extends StopNow {
  notifier: Notifier;
  clock: Clock;
}

/** SIGTERM, after the prompts were withdrawn: STOPPING=1, then the stop, its timeout extended while it runs. */
export async function stopDaemon(p: StopDaemon): Promise<void> {
  p.volumes.abortAll();
  await p.notifier.notify({ STOPPING: '1', STATUS: 'stopping' });
  // Guests ignoring ACPI, one timeout after another: systemd must not SIGKILL us between guests and closes.
  await extendWhile(p.notifier, p.clock, () => stopNow(p));
}

async function stopNow(p: StopNow): Promise<void> {
  const units = p.units;
  const { intent, why } = await decideStop({ jobIntent: units && (() => units.stopIntent(p.unitName)), systemState: p.systemState, log: p.log });
  p.volumes.abortAll();
  if (intent !== 'stop') {
    p.log.info(ev('stop-decided', { intent, why }), `not a stop (${why}): leaving guests running and volumes open for the next daemon`);
    p.stopping.abort();
    return;
  }
  p.log.info(ev('stop-decided', { intent, why }), `stopping guests, then closing volumes (${why})`);
  const libvirtUp = await libvirtActive(p.units, p.log);
  let layer = 1;
  if (libvirtUp) {
    await p.goLive().catch((e: unknown) => p.log.error({ err: e }, errorMessage(e)));
    const stops = await stopGuestLayers(p, []);
    logFailures(p.log, stops.failures);
    layer = nextLayer(stops.steps);
  }
  p.stopping.abort();
  // Planned now, from the guests still running: a guest that did not go down keeps its volume open.
  const closes = await closeVolumes(p, layer, libvirtUp);
  for (const [volume, users] of closes.held) {
    p.log.error(ev('volume-not-closed', { volume, guests: users }), `not closing volume ${volume}: guest(s) ${users.join(', ')} still run on it`);
  }
  logFailures(p.log, closes.failures);
}
