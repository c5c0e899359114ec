// A guest's shutdown step and its on_timeout fallbacks (save, destroy): ACPI request (resent while the guest
// boots), wait for it to be off, then the fallback step the plan names, run through the executor it names.
import { errorMessage } from '../errors.js';
import { ev } from '../log/events.js';
import type { DestroyStep, SaveStep, ShutdownStep, TimeoutStep } from '../planner/steps.js';
import type { GuestRecord } from './guest-state.js';
import type { GuestDeps } from './guests.js';
import { runOf } from './domain-run.js';

/** How often a guest that has not shut down yet is sent the ACPI request again. */
const ACPI_RESEND_MS = 5_000;

export interface StopContext {
  deps: GuestDeps;
  /** Woken by every lifecycle event. */
  waiters: Set<() => void>;
}

/** Runs a fallback step through the daemon's executors. */
export type RunFallback = (step: TimeoutStep) => Promise<void>;

export async function shutdownGuest(c: StopContext, g: GuestRecord, step: ShutdownStep, fallback: RunFallback): Promise<void> {
  const name = g.cfg.name;
  const log = c.deps.log.child({ guest: name });
  g.busy = 'stopping';
  c.deps.onChange(name);
  try {
    log.info(ev('guest-shutdown-asked', { timeout_s: step.timeoutMs / 1000 }), 'asking guest to shut down');
    if ((await c.deps.virsh.shutdown(name, 'acpi')) === 'not-running') return void (g.run = 'shut-off');
    if (await waitOff(c, g, step.timeoutMs)) {
      c.deps.stopped?.(name, 'graceful');
      return void log.info(ev('guest-shut-down'), 'guest shut down');
    }
    log.warn(ev('guest-shutdown-timeout', { action: step.onTimeout }), 'guest did not shut down in time');
    await fallback(step.fallback);
    g.run = 'shut-off';
  } finally {
    g.busy = undefined;
    c.deps.onChange(name);
  }
}

/** Managed save, only onto an encrypted save directory; refused or failed: its destroy step. */
export async function saveGuest(c: StopContext, g: GuestRecord, step: SaveStep, fallback: RunFallback): Promise<void> {
  const log = c.deps.log.child({ guest: g.cfg.name });
  if (!(await c.deps.saveDirEncrypted())) {
    log.error(ev('guest-save-refused'), "refusing managedsave: libvirt's save directory is not on an encrypted volume and would get the guest's memory in plaintext; destroying instead (see cryptvm doctor)");
    return fallback(step.fallback);
  }
  try {
    await c.deps.virsh.managedSave(g.cfg.name);
    log.info(ev('guest-saved'), 'guest saved');
    c.deps.stopped?.(g.cfg.name, 'saved');
  } catch (e) {
    // A guest left running would keep its volume open and block the close: destroy is the fallback.
    log.error(ev('guest-save-failed', { err: e }), `managedsave failed (${errorMessage(e)}); destroying the guest instead`);
    await fallback(step.fallback);
  }
}

export async function destroyGuest(c: StopContext, g: GuestRecord, _step: DestroyStep): Promise<void> {
  await c.deps.virsh.destroy(g.cfg.name);
  c.deps.log.child({ guest: g.cfg.name }).info(ev('guest-destroyed'), 'guest destroyed');
  c.deps.stopped?.(g.cfg.name, 'destroyed');
}

/**
 * Wait until libvirt reports the guest off: woken by events, with a slow poll as a safety net. The ACPI
 * request is sent again every few seconds: one that arrives while the guest is still booting is lost.
 */
async function waitOff(c: StopContext, g: GuestRecord, timeoutMs: number): Promise<boolean> {
  const { deps } = c;
  const { clock } = deps;
  const deadline = clock.now() + timeoutMs;
  let asked = clock.now();
  while (clock.now() < deadline) {
    const { state } = await deps.virsh.state(g.cfg.name);
    g.run = runOf(state);
    if (g.run === 'shut-off') return true;
    if (clock.now() - asked >= ACPI_RESEND_MS) {
      asked = clock.now();
      await deps.virsh.shutdown(g.cfg.name, 'acpi').catch((e: unknown) => deps.log.debug({ guest: g.cfg.name, err: e }, 'repeated ACPI shutdown request failed'));
    }
    // Woken early by a libvirt event (the waiters), else at the next resend or the deadline.
    const woken = new AbortController();
    const wake = (): void => woken.abort();
    c.waiters.add(wake);
    await clock.sleep(Math.min(ACPI_RESEND_MS, Math.max(0, deadline - clock.now())), woken.signal).catch(() => undefined);
    c.waiters.delete(wake);
  }
  const { state } = await deps.virsh.state(g.cfg.name);
  g.run = runOf(state);
  return g.run === 'shut-off';
}

