// A volume's unmount and close steps: each retried while busy up to its timeout, then Busy naming the holders.
import type { Logger } from '../log/logger.js';
import { ev } from '../log/events.js';
import { CryptvmError } from '../errors.js';
import type { VolumeRecord } from './volume-state.js';
import type { VolumeDeps } from './volumes.js';

/** What the unmount and close need of the VolumeManager. */
export interface CloseOps {
  deps: VolumeDeps;
  set(r: VolumeRecord, patch: Partial<VolumeRecord>): void;
  /** A volume a reload removed, now closed: gone from the status. */
  forget(r: VolumeRecord): void;
}

type Attempt = 'done' | 'filesystem busy' | 'mapping busy';

/** Runs attempt() with backoff until done; past the deadline the volume stays open with the error, and Busy is thrown. */
async function retryWhileBusy(c: CloseOps, r: VolumeRecord, timeoutMs: number, attempt: () => Promise<Attempt>): Promise<void> {
  const name = r.cfg.name;
  const log = c.deps.log.child({ volume: name });
  const { clock } = c.deps;
  const deadline = clock.now() + timeoutMs;
  for (let delay = 250; ; delay = Math.min(delay * 2, 5_000)) {
    const outcome = await attempt();
    if (outcome === 'done') return;
    const where = r.cfg.mount?.where;
    const holders = await (outcome === 'filesystem busy' && where ? c.deps.mounts.usersOf(where) : c.deps.dm.holders(name)).catch(() => [] as string[]);
    if (clock.now() + delay > deadline) {
      c.set(r, { phase: 'open', error: `busy: held by ${holders.join(', ') || 'an unknown process'}` });
      throw new CryptvmError('Busy', `volume ${name}: still in use after ${Math.round(timeoutMs / 1000)}s (${outcome}), held by ${holders.join(', ') || 'an unknown process'}; stop what uses it, then run cryptvm lock ${name}`, { volume: name });
    }
    log.warn(ev('volume-busy', { holders, what: outcome }), `volume busy, retrying in ${delay} ms`);
    await clock.sleep(delay);
  }
}

/** The unmount step: leaves the volume `closing` (its close step follows) once the filesystem is off. */
export async function unmountNow(c: CloseOps, r: VolumeRecord, timeoutMs: number): Promise<void> {
  c.set(r, { phase: 'closing' });
  await retryWhileBusy(c, r, timeoutMs, () => unmountOnce(c, r, c.deps.log.child({ volume: r.cfg.name })));
}

export async function closeNow(c: CloseOps, r: VolumeRecord, timeoutMs: number): Promise<void> {
  const log = c.deps.log.child({ volume: r.cfg.name });
  if (r.phase !== 'closing') c.set(r, { phase: 'closing' }); // not again after its unmount step
  await retryWhileBusy(c, r, timeoutMs, async () => {
    // Normally its unmount step did this already.
    if ((await unmountOnce(c, r, log)) === 'filesystem busy') return 'filesystem busy';
    const res = await c.deps.cryptsetup.close(r.cfg.name);
    if (res === 'busy') return 'mapping busy';
    log.info(ev(res === 'closed' ? 'volume-closed' : 'volume-already-closed'), res === 'closed' ? 'volume closed' : 'volume was already closed');
    c.set(r, { phase: 'locked', keySource: undefined, error: undefined });
    return 'done';
  });
  if (r.removed) c.forget(r);
}

async function unmountOnce(c: CloseOps, r: VolumeRecord, log: Logger): Promise<Attempt> {
  const m = r.cfg.mount;
  if (m && c.deps.mounts.isMounted(m.where)) {
    if ((await c.deps.mounts.unmount(m.where)) === 'busy') return 'filesystem busy';
    log.info(ev('filesystem-unmounted', { where: m.where }), 'filesystem unmounted');
  }
  r.mounted = false;
  return 'done';
}
