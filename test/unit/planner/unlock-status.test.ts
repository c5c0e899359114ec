import { describe, expect, it } from 'vitest';
import { unlockConcurrency } from '../../../src/planner/unlock.js';
import { statusLine } from '../../../src/planner/status.js';
import type { GuestStatus, VolumeStatus } from '../../../src/api/types.js';

describe('unlockConcurrency', () => {
  const argon = { memoryKiB: 1_048_576, threads: 4 };
  const pbkdf2 = { memoryKiB: 0, threads: 1 };
  it.each([
    ['argon2id 1 GiB × 4 threads on 2 cores: one at a time', [argon, argon, argon], { cores: 2, availableKiB: 24_000_000 }, 0, 1],
    ['pbkdf2 on 8 cores, 3 volumes: bounded by the volume count', [pbkdf2, pbkdf2, pbkdf2], { cores: 8, availableKiB: 8_000_000 }, 0, 3],
    ['memory-bound: 1 GiB keyslots with 3 GiB available → 1', [{ memoryKiB: 1_048_576, threads: 1 }, { memoryKiB: 1_048_576, threads: 1 }], { cores: 16, availableKiB: 3_145_728 }, 0, 1],
    ['configured limit wins when lower', [pbkdf2, pbkdf2, pbkdf2], { cores: 8, availableKiB: 8_000_000 }, 2, 2],
    ['never zero, even with no memory', [argon], { cores: 1, availableKiB: 0 }, 0, 1],
  ])('%s', (_n, costs, machine, configured, expected) => {
    expect(unlockConcurrency(costs, machine, configured)).toBe(expected);
  });
});

const v = (name: string, state: VolumeStatus['state'], guests: string[] = []): VolumeStatus => ({
  name, device: `/dev/${name}`, resolvedDevice: undefined, state, keySource: undefined, skipped: [], mount: undefined, mounted: false, holders: [], guests, askId: undefined, error: undefined, removed: false,
});
const g = (name: string, state: GuestStatus['state']): GuestStatus => ({ name, state, waitingFor: [], volumes: [], autostart: true, libvirtAutostart: undefined, error: undefined });

describe('statusLine', () => {
  it('says what it waits for, naming the guests', () => {
    expect(statusLine([v('cr_a', 'open'), v('cr_b', 'open'), v('cr_imap_encr', 'waiting-passphrase', ['imap'])], [g('imap', 'waiting'), g('web', 'running')])).toBe(
      '2/3 volumes open, 1/2 guests running; waiting for passphrase: cr_imap_encr (guests: imap)',
    );
  });
  it('all done', () => {
    expect(statusLine([v('a', 'open'), v('b', 'open'), v('c', 'open')], [g('x', 'running'), g('y', 'running')])).toBe('3/3 volumes open, 2/2 guests running');
  });
  it('lists but does not count volumes a reload removed while open', () => {
    expect(statusLine([v('a', 'open'), { ...v('gone', 'open'), removed: true }, v('b', 'locked')], [])).toBe('1/2 volumes open');
  });
  it('names failed volumes and missing devices', () => {
    expect(statusLine([v('a', 'failed'), v('b', 'waiting-device')], [])).toBe('0/2 volumes open; waiting for device: b; failed: a');
  });
});
