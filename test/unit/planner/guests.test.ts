import { describe, expect, it } from 'vitest';
import { guestVolumes, planGuestStarts } from '../../../src/planner/guests.js';
import type { ObservedGuest, ObservedVolume } from '../../../src/planner/types.js';
import { config, guest, volume } from '../../helpers/config.js';

const vols = [volume('cr_a'), volume('cr_b'), volume('cr_img', { mount: { where: '/var/lib/libvirt/images/secure', options: '', type: undefined } })];

describe('guestVolumes', () => {
  it.each([
    ['raw mapping', [{ type: 'block' as const, source: '/dev/mapper/cr_a' }], [], ['cr_a']],
    ['qcow2 under a mount point', [{ type: 'file' as const, source: '/var/lib/libvirt/images/secure/x.qcow2' }], [], ['cr_img']],
    ['a sibling dir that only shares the prefix is not under it', [{ type: 'file' as const, source: '/var/lib/libvirt/images/secure2/x.qcow2' }], [], []],
    ['unrelated disk plus an explicit volume', [{ type: 'block' as const, source: '/dev/sda' }], ['cr_b'], ['cr_b']],
    ['both, in config order', [{ type: 'file' as const, source: '/var/lib/libvirt/images/secure/x' }, { type: 'block' as const, source: '/dev/mapper/cr_a' }], [], ['cr_a', 'cr_img']],
    ['a block disk with a file path is not a mapping', [{ type: 'file' as const, source: '/dev/mapper/cr_a' }], [], []],
  ])('%s', (_name, disks, explicit, expected) => {
    expect(guestVolumes(guest('g', { volumes: explicit }), disks, vols)).toEqual(expected);
  });
});

function obs(name: string, over: Partial<ObservedGuest> = {}): ObservedGuest {
  return { name, run: 'shut-off', volumes: [], wanted: true, startedAtMs: undefined, ...over };
}
const open = (...names: string[]): ObservedVolume[] => ['cr_a', 'cr_b'].map((n) => ({ name: n, phase: names.includes(n) ? 'open' : 'locked', mounted: false }));

describe('planGuestStarts', () => {
  const cfg = config([volume('cr_a'), volume('cr_b')], [guest('dns'), guest('imap', { after: ['dns'] }), guest('web', { after: ['dns'], delayMs: 10_000 })]);

  it('starts only guests whose volumes are all open, and says what the others wait for', () => {
    const p = planGuestStarts(cfg, open('cr_a'), [obs('dns', { volumes: ['cr_a'] }), obs('imap', { volumes: ['cr_a', 'cr_b'] })], 0);
    expect(p.start.map((s) => s.guest)).toEqual(['dns']);
    expect(p.waiting.get('imap')).toEqual(['cr_b']);
  });

  it('holds a guest back while a predecessor that can start has not started yet', () => {
    const p = planGuestStarts(cfg, open('cr_a', 'cr_b'), [obs('dns', { volumes: ['cr_a'] }), obs('imap', { volumes: ['cr_b'] })], 0);
    expect(p.start.map((s) => s.guest)).toEqual(['dns']);
  });

  it('does not let a predecessor blocked on a locked volume hold the others hostage', () => {
    const p = planGuestStarts(cfg, open('cr_b'), [obs('dns', { volumes: ['cr_a'] }), obs('imap', { volumes: ['cr_b'] })], 0);
    expect(p.start.map((s) => s.guest)).toEqual(['imap']);
    expect(p.waiting.get('dns')).toEqual(['cr_a']);
  });

  it('waits `delay` after the predecessor started and reports when to look again', () => {
    const guests = [obs('dns', { run: 'running', wanted: false, startedAtMs: 1_000, volumes: ['cr_a'] }), obs('web', { volumes: ['cr_a'] })];
    const early = planGuestStarts(cfg, open('cr_a'), guests, 5_000);
    expect(early.start.map((s) => s.guest)).toEqual([]);
    expect(early.nextAtMs).toBe(11_000);
    expect(planGuestStarts(cfg, open('cr_a'), guests, 11_000).start.map((s) => s.guest)).toEqual(['web']);
  });

  it('never starts guests that are not wanted, running, paused or missing', () => {
    const guests = [
      obs('dns', { wanted: false }),
      obs('imap', { run: 'running' }),
      obs('web', { run: 'paused' }),
      obs('x', { run: 'missing' }),
    ];
    expect(planGuestStarts(cfg, open('cr_a', 'cr_b'), guests, 0).start.map((s) => s.guest)).toEqual([]);
  });

  it('restart adoption: running guests and open volumes with nothing wanted → nothing to do', () => {
    const guests = [obs('dns', { run: 'running', wanted: false, volumes: ['cr_a'] }), obs('imap', { run: 'shut-off', wanted: false, volumes: ['cr_b'] })];
    const p = planGuestStarts(cfg, open('cr_a', 'cr_b'), guests, 0);
    expect(p).toEqual({ start: [], waiting: new Map(), nextAtMs: undefined });
  });
});
