// A guest's start step: virsh start; a guest libvirt started meanwhile counts as started.
import { errorMessage } from '../errors.js';
import { ev } from '../log/events.js';
import type { StartStep } from '../planner/steps.js';
import type { GuestRecord } from './guest-state.js';
import type { GuestDeps } from './guests.js';
import { logAlreadyRunning } from './autostart-log.js';
import { runOf } from './domain-run.js';

/** Never throws: a failed start is the guest's error (in its record and the journal). */
export async function startGuest(deps: GuestDeps, g: GuestRecord, _step: StartStep, done: () => void): Promise<void> {
  const log = deps.log.child({ guest: g.cfg.name });
  g.busy = 'starting';
  deps.onChange(g.cfg.name);
  try {
    const r = await deps.virsh.start(g.cfg.name);
    g.run = 'running';
    g.startedAtMs = deps.clock.now();
    g.error = undefined;
    if (r === 'already-running') logAlreadyRunning(g, log);
    else log.info(ev('guest-started', { volumes: g.volumes }), 'guest started');
  } catch (e) {
    // libvirtd's own autostart may be starting it at this very moment (virsh start then fails on the
    // domain's state lock): a guest that runs now counts as started.
    if ((await deps.virsh.state(g.cfg.name).then((s) => runOf(s.state), () => undefined)) === 'running') {
      Object.assign(g, { run: 'running', startedAtMs: deps.clock.now(), error: undefined });
      logAlreadyRunning(g, log);
    } else {
      g.error = errorMessage(e);
      log.error(ev('guest-start-failed', { err: e }), `guest did not start: ${g.error}`);
    }
  } finally {
    done();
    g.busy = undefined;
    deps.onChange(g.cfg.name);
  }
}
