// Which volumes hold READY=1 back, and which keep the console prompt: table tests of the pure rules.
import { describe, expect, it } from 'vitest';
import { consoleWaitsFor, isUnattended, readyDecision, type ReadyVolume } from '../../../src/planner/ready.js';
import type { ReadyMode } from '../../../src/config/types.js';

const v = (name: string, state: ReadyVolume['state'], o: Partial<ReadyVolume> = {}): ReadyVolume => ({ name, state, trying: state === 'unlocking' || state === 'waiting-device', unattended: true, ...o });
const prompt = (name: string, state: ReadyVolume['state'], o: Partial<ReadyVolume> = {}) => v(name, state, { unattended: false, ...o });

describe('isUnattended', () => {
  it.each([
    [[{ kind: 'prompt' }], false],
    [[], false],
    [[{ kind: 'keyfile', path: '/k' }], true],
    [[{ kind: 'token', tokenType: undefined }, { kind: 'prompt' }], true],
    [[{ kind: 'clevis' }], true],
    [[{ kind: 'https', url: 'https://k/x' }], true],
    [[{ kind: 'credential', name: 'c' }], true],
  ] as const)('%j → %s', (keys, want) => expect(isUnattended(keys as never)).toBe(want));
});

describe('readyDecision', () => {
  const cases: [string, ReadyVolume[], ReadyMode, boolean, boolean, string[]][] = [
    ['key file still opening holds READY', [v('data', 'unlocking'), prompt('imap', 'waiting-passphrase')], 'unattended', false, false, ['data']],
    ['key file open, passphrase pending: ready', [v('data', 'open'), prompt('imap', 'waiting-passphrase')], 'unattended', false, true, []],
    ['same in "all": the passphrase holds READY', [v('data', 'open'), prompt('imap', 'waiting-passphrase')], 'all', false, false, ['imap']],
    ['prompt volume not asked yet does not count', [v('data', 'open'), prompt('imap', 'locked', { trying: true })], 'unattended', false, true, []],
    ['prompt volume not asked yet counts in "all"', [v('data', 'open'), prompt('imap', 'unlocking')], 'all', false, false, ['imap']],
    ['key file failed, fell back to a prompt: settled', [v('data', 'waiting-passphrase')], 'unattended', false, true, []],
    ['tang still trying holds READY', [v('tang', 'unlocking'), v('data', 'open')], 'unattended', false, false, ['tang']],
    ['tang gave up (locked, not trying): settled', [v('tang', 'locked', { trying: false }), v('data', 'open')], 'unattended', false, true, []],
    ['a volume whose device is missing holds READY', [v('data', 'waiting-device')], 'unattended', false, false, ['data']],
    ['failed counts as settled', [v('data', 'failed')], 'all', false, true, []],
    ['not begun yet (locked, trying) holds READY', [v('data', 'locked', { trying: true })], 'unattended', false, false, ['data']],
    ['boot_wait over: ready whatever is pending', [v('data', 'unlocking'), prompt('imap', 'waiting-passphrase')], 'all', true, true, []],
    ['no volumes at all: ready', [], 'unattended', false, true, []],
    ['only prompt volumes: ready at once in "unattended"', [prompt('imap', 'waiting-passphrase'), prompt('img', 'unlocking')], 'unattended', false, true, []],
  ];
  it.each(cases)('%s', (_what, vols, mode, over, ready, pending) => {
    expect(readyDecision(vols, mode, over)).toEqual({ ready, pending });
  });
});

describe('consoleWaitsFor', () => {
  it.each([
    ['a pending passphrase keeps the console', [v('data', 'open'), prompt('imap', 'waiting-passphrase')], false, ['imap']],
    ['a key file still opening may still fall back to a prompt', [v('data', 'unlocking')], false, ['data']],
    ['all open: done', [v('data', 'open'), prompt('imap', 'open')], false, []],
    ['tries used up (locked, not trying): done', [prompt('imap', 'locked', { trying: false })], false, []],
    ['boot_wait over: done', [prompt('imap', 'waiting-passphrase')], true, []],
  ] as [string, ReadyVolume[], boolean, string[]][])('%s', (_what, vols, over, want) => {
    expect(consoleWaitsFor(vols, over)).toEqual(want);
  });
});
