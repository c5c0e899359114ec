import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterStops, closeSteps, guestStopSteps, volumeCloseSteps } from '../../../src/planner/shutdown.js';
import { byLayer, stepTarget, withFallbacks } from '../../../src/planner/steps.js';
import type { ObservedGuest, ObservedVolume } from '../../../src/planner/types.js';
import { config, guest, volume } from '../../helpers/config.js';

const run = (name: string, volumes: string[] = [], r: ObservedGuest['run'] = 'running'): ObservedGuest => ({ name, run: r, volumes, wanted: false, startedAtMs: undefined });
const open = (name: string, mountPoint?: string): ObservedVolume => ({ name, phase: 'open', mounted: Boolean(mountPoint), mountPoint });

describe('guestStopSteps', () => {
  const cfg = config([], [guest('dns'), guest('imap', { after: ['dns'], onTimeout: 'managedsave', shutdownTimeoutMs: 5_000 })], { shutdownTimeoutMs: 7_000 });

  it('one shutdown per running guest in its layer, carrying the on_timeout fallback of that layer', () => {
    const steps = guestStopSteps(cfg, [run('dns'), run('imap')]);
    expect(withFallbacks(steps).map((s) => `${s.layer} ${s.kind} ${stepTarget(s)}`)).toEqual(['1 shutdown imap', '1 save imap', '1 destroy imap', '2 shutdown dns', '2 destroy dns']);
    expect(steps[0]).toMatchObject({ timeoutMs: 5_000, onTimeout: 'managedsave', fallback: { kind: 'save', fallback: { kind: 'destroy', when: 'save-refused-or-failed' } } });
  });

  it('a running guest a reload removed from the config stops first, with the daemon defaults', () => {
    const steps = guestStopSteps(cfg, [run('dns'), run('gone')]);
    expect(steps.map((s) => `${s.layer} ${s.guest} ${s.timeoutMs} ${s.onTimeout}`)).toEqual(['1 gone 7000 destroy', '2 dns 180000 destroy']);
  });
});

describe('closeSteps', () => {
  const cfg = config([volume('cr_a'), volume('cr_img', { mount: { where: '/srv/img', options: '', type: undefined } })], []);

  it('unmount before close for a mounted volume, all in the given layer; a held volume is not closed', () => {
    const p = closeSteps(cfg, [open('cr_a'), open('cr_img')], [run('web', ['cr_a'])], 3, 60_000);
    expect(p.steps.map((s) => `${s.layer} ${s.kind} ${s.volume}`)).toEqual(['3 unmount cr_img', '3 close cr_img']);
    expect(p.held).toEqual(new Map([['cr_a', ['web']]]));
  });

  it('a volume a reload removed is unmounted where the daemon saw it mounted', () => {
    expect(closeSteps(cfg, [open('old', '/srv/old')], [], 1, 60_000).steps.map((s) => s.kind)).toEqual(['unmount', 'close']);
  });

  it('after the guests it stops, nothing holds the volumes: the plan closes them all', () => {
    const guests = [run('web', ['cr_a'])];
    const p = closeSteps(cfg, [open('cr_a')], afterStops(guests, guestStopSteps(cfg, guests)), 2, 60_000);
    expect(p.steps.map((s) => s.volume)).toEqual(['cr_a']);
    expect(volumeCloseSteps('cr_a', undefined, 4, 1_000)).toEqual([{ kind: 'close', layer: 4, volume: 'cr_a', mapping: '/dev/mapper/cr_a', timeoutMs: 1_000 }]);
  });
});

describe('byLayer', () => {
  it('groups in layer order, keeping the order within a layer', () => {
    const steps = volumeCloseSteps('b', '/b', 2, 1).concat(volumeCloseSteps('a', undefined, 1, 1));
    expect(byLayer(steps).map((l) => l.map((s) => `${s.kind} ${s.volume}`))).toEqual([['close a'], ['unmount b', 'close b']]);
  });
});

describe('the planner imports neither the API nor the daemon', () => {
  it('no file in src/planner imports from src/api or src/daemon', () => {
    const dir = join(import.meta.dirname, '../../../src/planner');
    const offending = readdirSync(dir).filter((f) => /from '\.\.\/(api|daemon)\//.test(readFileSync(join(dir, f), 'utf8')));
    expect(offending).toEqual([]);
  });
});
