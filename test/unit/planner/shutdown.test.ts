import { describe, expect, it } from 'vitest';
import { planCloses, planGuestStops } from '../../../src/planner/shutdown.js';
import type { ObservedGuest } from '../../../src/planner/types.js';
import { config, guest } from '../../helpers/config.js';

const run = (name: string, volumes: string[] = [], r: ObservedGuest['run'] = 'running'): ObservedGuest => ({ name, run: r, volumes, wanted: false, startedAtMs: undefined });

describe('planGuestStops', () => {
  const cfg = config([], [guest('dns'), guest('imap', { after: ['dns'] }), guest('web', { after: ['imap'] }), guest('office')]);

  it('reverses the start order and stops independent guests in parallel', () => {
    expect(planGuestStops(cfg, [run('dns'), run('imap'), run('web'), run('office')])).toEqual([['web', 'office'], ['imap'], ['dns']]);
  });

  it('skips guests that are already off, keeping the order among the rest', () => {
    expect(planGuestStops(cfg, [run('dns'), run('imap', [], 'shut-off'), run('web')])).toEqual([['web'], ['dns']]);
  });

  it('stops only the named guests', () => {
    expect(planGuestStops(cfg, [run('dns'), run('imap'), run('web')], new Set(['dns', 'imap']))).toEqual([['imap'], ['dns']]);
  });

  it('includes paused guests (they hold their disks open)', () => {
    expect(planGuestStops(cfg, [run('office', [], 'paused')])).toEqual([['office']]);
  });
});

describe('planCloses', () => {
  const volumes = ['cr_a', 'cr_b', 'cr_c'].map((n) => ({ name: n, phase: n === 'cr_c' ? ('locked' as const) : ('open' as const), mounted: false }));

  it('never closes a volume under a running guest; closes the rest; ignores closed ones', () => {
    const p = planCloses(volumes, [run('imap', ['cr_a']), run('web', ['cr_b'], 'shut-off')]);
    expect(p.close).toEqual(['cr_b']);
    expect(p.held).toEqual(new Map([['cr_a', ['imap']]]));
  });

  it('treats a paused or unknown-state guest as holding its volume', () => {
    const p = planCloses(volumes, [run('imap', ['cr_a'], 'paused'), run('web', ['cr_b'], 'unknown')]);
    expect(p.close).toEqual([]);
    expect([...p.held.keys()]).toEqual(['cr_a', 'cr_b']);
  });

  it('limits to the named volumes (cryptvm lock)', () => {
    expect(planCloses(volumes, [], new Set(['cr_b'])).close).toEqual(['cr_b']);
  });
});
