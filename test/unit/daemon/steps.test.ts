import { describe, expect, it } from 'vitest';
import { setImmediate as tick } from 'node:timers/promises';
import { createLogger } from '../../../src/log/logger.js';
import { execute, runLayers, type Executors, type StepLogFields } from '../../../src/daemon/steps.js';
import { makeExecutors } from '../../../src/daemon/executors.js';
import { stepTarget, type ShutdownStep, type Step } from '../../../src/planner/steps.js';
import { volumeCloseSteps } from '../../../src/planner/shutdown.js';

const stop = (guest: string, layer: number): ShutdownStep => ({ kind: 'shutdown', layer, guest, timeoutMs: 1, onTimeout: 'destroy', fallback: { kind: 'destroy', layer, guest, when: 'shutdown-timed-out' } });

/** Steps that finish only when release() is called for them; records begin/end order. */
function gated() {
  const log: string[] = [];
  const pending = new Map<string, () => void>();
  const run = (s: Step) => {
    const name = `${s.kind} ${stepTarget(s)}`;
    log.push(`begin ${name}`);
    return new Promise<void>((resolve) => pending.set(name, () => { log.push(`end ${name}`); resolve(); }));
  };
  const release = async (name: string) => {
    await tick();
    pending.get(name)!();
    pending.delete(name);
    await tick();
  };
  return { log, run, release, pending };
}

describe('runLayers', () => {
  it('layer n+1 begins only when every step of layer n is done; one target\'s steps run in order', async () => {
    const g = gated();
    const done = runLayers([stop('web', 1), stop('office', 1), ...volumeCloseSteps('cr_img', '/srv/img', 2, 1)], g.run, 16);
    await g.release('shutdown web');
    expect(g.log).toEqual(['begin shutdown web', 'begin shutdown office', 'end shutdown web']);
    await g.release('shutdown office');
    expect(g.log.slice(3)).toEqual(['end shutdown office', 'begin unmount cr_img']);
    await g.release('unmount cr_img');
    await g.release('close cr_img');
    expect(await done).toEqual([]);
    expect(g.log.slice(-3)).toEqual(['end unmount cr_img', 'begin close cr_img', 'end close cr_img']);
  });

  it('shutdowns hold one of parallel_shutdown slots each', async () => {
    const g = gated();
    const done = runLayers([stop('a', 1), stop('b', 1), stop('c', 1)], g.run, 2);
    await tick();
    expect([...g.pending.keys()]).toEqual(['shutdown a', 'shutdown b']);
    await g.release('shutdown a');
    expect([...g.pending.keys()]).toEqual(['shutdown b', 'shutdown c']);
    await g.release('shutdown b');
    await g.release('shutdown c');
    expect(await done).toEqual([]);
  });

  it('a failed unmount skips its close (never closed under a mounted filesystem) and is returned, not thrown', async () => {
    const ran: string[] = [];
    const boom = new Error('umount: target is busy');
    const failures = await runLayers([...volumeCloseSteps('cr_img', '/srv/img', 1, 1), ...volumeCloseSteps('cr_a', undefined, 1, 1)], async (s) => {
      ran.push(`${s.kind} ${stepTarget(s)}`);
      if (s.kind === 'unmount') throw boom;
    }, 1);
    expect(ran).toEqual(['unmount cr_img', 'close cr_a']);
    expect(failures).toEqual([{ step: expect.objectContaining({ kind: 'unmount', volume: 'cr_img' }), err: boom }]);
  });
});

describe('executors', () => {
  it('run a shutdown\'s fallback through the map, each step logged as a typed event', async () => {
    const events: StepLogFields[] = [];
    const log = createLogger({ level: 'debug', sink: { write: (l) => { const j = JSON.parse(l) as Partial<StepLogFields>; if (j.event && j.step) events.push({ event: j.event, step: j.step }); } } });
    const did: string[] = [];
    const never = () => Promise.reject(new Error('not this one'));
    const { run } = makeExecutors({
      volumes: { ensureOpen: never, ensureMounted: never, unmount: never, close: never },
      guests: {
        start: never,
        save: never,
        shutdown: async (s, fallback) => { did.push(`acpi ${s.guest}`); await fallback(s.fallback); },
        destroy: async (s) => void did.push(`destroy ${s.guest} (${s.when})`),
      },
      ready: never,
      log,
    });
    await run(stop('web', 1));
    expect(did).toEqual(['acpi web', 'destroy web (shutdown-timed-out)']);
    expect(events.map((e) => `${e.event} ${e.step.layer} ${e.step.kind} ${e.step.target}`)).toEqual([
      'step-started 1 shutdown web', 'step-started 1 destroy web', 'step-done 1 destroy web', 'step-done 1 shutdown web',
    ]);
  });

  it('a failing executor: the error comes back to the caller, with no step-done', async () => {
    const events: string[] = [];
    const log = createLogger({ level: 'debug', sink: { write: (l) => void events.push(String(JSON.parse(l).event)) } });
    const boom = new Error('virsh destroy web failed');
    const ex = { destroy: () => Promise.reject(boom) } as unknown as Executors;
    await expect(execute(ex, { kind: 'destroy', layer: 1, guest: 'web', when: 'shutdown-timed-out' }, log)).rejects.toBe(boom);
    expect(events).toEqual(['step-started']);
  });

  it('the map must name every kind (a compile error otherwise)', () => {
    const none = () => Promise.resolve();
    // @ts-expect-error: 'close' is missing
    const partial: Executors = { open: none, mount: none, ready: none, start: none, shutdown: none, save: none, destroy: none, unmount: none };
    expect(Object.keys(partial)).not.toContain('close');
  });
});
