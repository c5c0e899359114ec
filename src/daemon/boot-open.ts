// The boot's open and mount steps: every volume's open at once, each volume's mount right after its own open
// (not after every open), so a guest can start as soon as its own volumes are ready.
import type { Logger } from '../log/logger.js';
import { errorMessage } from '../errors.js';
import type { MountStep, OpenStep, Step } from '../planner/steps.js';
import { stepFields } from './steps.js';

/** One task per volume; they never reject (an open's failure is the volume's error, a mount's is logged). */
export function openVolumes(steps: readonly (OpenStep | MountStep)[], run: (s: Step) => Promise<void>, log: Logger): Promise<void>[] {
  return steps.flatMap((open) => {
    if (open.kind !== 'open') return [];
    const mount = steps.find((m) => m.kind === 'mount' && m.volume === open.volume);
    const mounted = (): Promise<void> | undefined =>
      mount && run(mount).catch((e: unknown) => log.error({ volume: open.volume, err: e, ...stepFields('step-failed', mount) }, errorMessage(e)));
    return [run(open).then(mounted)];
  });
}
