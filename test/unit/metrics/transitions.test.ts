// Status snapshot → fleet events, table-tested; and the classes used as metric labels.
import { describe, expect, it } from 'vitest';
import { failureClass, sourceClass, transitions } from '../../../src/metrics/transitions.js';
import { guest, status, vol } from './status.js';

describe('transitions', () => {
  it.each([
    {
      name: 'first snapshot: only a prompt already waiting is news',
      before: undefined,
      after: status([vol('a', 'locked'), vol('b', 'waiting-passphrase', { guests: ['imap'] })]),
      events: [{ kind: 'volume-waiting', volume: 'b', guests: ['imap'] }],
    },
    {
      name: 'a volume opens with the key server after tang failed; then all are open',
      before: status([vol('a', 'unlocking'), vol('b', 'open')]),
      after: status([vol('a', 'open', { keySource: 'https:https://v/v1/x', skipped: ['clevis: tang unreachable'] }), vol('b', 'open')]),
      events: [
        { kind: 'volume-open', volume: 'a', source: 'https:https://v/v1/x', skipped: ['clevis: tang unreachable'] },
        { kind: 'all-open', volumes: ['a', 'b'] },
      ],
    },
    {
      name: 'no key source opened it',
      before: status([vol('a', 'unlocking')]),
      after: status([vol('a', 'locked', { error: 'no key source opened it: clevis: gave up; prompt: gave up after 3 wrong passphrase(s)' })]),
      events: [{ kind: 'volume-locked', volume: 'a', reasons: ['clevis: gave up', 'prompt: gave up after 3 wrong passphrase(s)'] }],
    },
    {
      name: 'the same state again is no event; a removed volume does not count for all-open',
      before: status([vol('a', 'waiting-passphrase'), vol('old', 'locked')]),
      after: status([vol('a', 'waiting-passphrase'), vol('old', 'open', { removed: true })]),
      events: [{ kind: 'volume-open', volume: 'old', source: undefined, skipped: [] }],
    },
    {
      name: 'a guest that did not start; a running guest with a stale error is not',
      before: status([], [guest('imap', 'starting'), guest('dns', 'running')]),
      after: status([], [guest('imap', 'shut-off', { error: 'virsh start imap failed (exit 1)' }), guest('dns', 'running', { error: 'x' })]),
      events: [{ kind: 'guest-start-failed', guest: 'imap', reason: 'virsh start imap failed (exit 1)' }],
    },
  ])('$name', ({ before, after, events }) => expect(transitions(before, after)).toEqual(events));

  it('classes', () => {
    expect(['keyfile:/etc/k', 'credential:x', 'prompt', 'token:systemd-tpm2', 'clevis', 'tang', 'https:https://v/x', 'adopted', undefined].map(sourceClass)).toEqual([
      'keyfile', 'credential', 'prompt', 'token', 'clevis', 'clevis', 'https', 'adopted', 'unknown',
    ]);
    expect(failureClass('volume a: /dev/x is not a LUKS device (or its header cannot be read)')).toBe('not-luks');
    expect(failureClass('volume a: /dev/x has LUKS UUID 1, expected 2; fix device or uuid')).toBe('uuid-mismatch');
    expect(failureClass('no key source opened it: prompt: gave up')).toBe('no-key');
    expect(failureClass("volume a: gave up after 3 wrong passphrase(s); run 'cryptvm unlock a' to try again")).toBe('wrong-passphrase');
    expect(failureClass('something else')).toBe('other');
  });
});
