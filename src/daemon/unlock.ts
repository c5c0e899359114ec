// `cryptvm unlock`: re-arm the volumes' prompts and hand back the password requests to answer.
import type { UnlockTicket } from '../api/types.js';
import { CryptvmError } from '../errors.js';
import type { VolumeManager } from './volumes.js';

/** How long `unlock` waits for the daemon's password request to appear. */
const ASK_WAIT_MS = 10_000;

export interface UnlockDeps {
  volumes: VolumeManager;
  askIdFor(volume: string): string | undefined;
  rearm(volume: string): void;
  /** Resolves when cond() holds (checked at each change event), after timeoutMs, or when a stop begins. */
  until(cond: () => boolean, timeoutMs: number): Promise<void>;
  /** Aborted when the daemon begins to stop. */
  stopRequested: AbortSignal;
}

export async function unlockVolumes(d: UnlockDeps, names: readonly string[]): Promise<UnlockTicket[]> {
  if (d.stopRequested.aborted) throw new CryptvmError('Cancelled', 'cryptvmd is stopping; run cryptvm unlock again once cryptvm.service is back');
  const targets = names.length > 0 ? names.map((n) => d.volumes.mustGet(n)) : [...d.volumes.records.values()].filter((r) => r.phase !== 'open');
  for (const r of targets) {
    if (r.phase === 'open') throw new CryptvmError('InvalidArgs', `volume ${r.cfg.name} is already open`, { volume: r.cfg.name });
  }
  const tasks = targets.map((r) => {
    d.rearm(r.cfg.name);
    return d.volumes.unlockAgain(r.cfg.name);
  });
  const tickets: UnlockTicket[] = [];
  for (const [i, r] of targets.entries()) {
    // Until a prompt appears or the attempt ends (opened, or not); woken by change events, no polling.
    await Promise.race([d.until(() => Boolean(d.askIdFor(r.cfg.name)) || r.phase === 'open', ASK_WAIT_MS), tasks[i]]);
    if (d.stopRequested.aborted) {
      throw new CryptvmError('Cancelled', `cryptvmd is stopping: the passphrase request for ${r.cfg.name} was withdrawn; run cryptvm unlock ${r.cfg.name} again once cryptvm.service is back`, { volume: r.cfg.name });
    }
    const askId = d.askIdFor(r.cfg.name);
    if (askId) tickets.push({ volume: r.cfg.name, askId });
  }
  return tickets;
}
