// `cryptvm lock VOLUME [--stop-guests]` as steps: the shutdown layers of the guests on the volume, then the
// volume's unmount and close, whatever its phase (a pending open is cancelled and what it made is closed).
import { CLOSE_TIMEOUT_MS, volumeCloseSteps } from '../planner/shutdown.js';
import { runLayers } from './steps.js';
import { failuresError, nextLayer, stopGuestLayers, type StopPath } from './stop-path.js';

/** Throws the first failure (a guest that did not stop, a volume still busy). */
export async function lockSteps(p: StopPath, volume: string, users: readonly string[]): Promise<void> {
  let layer = 1;
  if (users.length > 0) {
    const stops = await stopGuestLayers(p, users);
    if (stops.failures.length > 0) throw failuresError(stops.failures);
    layer = nextLayer(stops.steps);
  }
  const r = p.volumes.mustGet(volume);
  const failures = await runLayers(volumeCloseSteps(volume, r.cfg.mount?.where, layer, CLOSE_TIMEOUT_MS), p.run, 1);
  if (failures.length > 0) throw failuresError(failures);
}
