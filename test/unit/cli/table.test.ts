import { describe, expect, it } from 'vitest';
import { parseCrypttab } from '../../../src/cli/crypttab.js';
import { renderPlan } from '../../../src/cli/commands/plan.js';
import type { Step } from '../../../src/api/types.js';
import { formatTable } from '../../../src/cli/table.js';

describe('formatTable', () => {
  it('aligns columns, shows empty cells as -, no trailing spaces', () => {
    expect(formatTable(['NAME', 'STATE', 'WAITING FOR'], [['imap', 'waiting', 'cr_imap'], ['dns-server', 'running', '']])).toBe(
      'NAME        STATE    WAITING FOR\nimap        waiting  cr_imap\ndns-server  running  -',
    );
  });
});

describe('renderPlan', () => {
  it('numbers steps and lists conflicts', () => {
    const text = renderPlan({ boot: [{ kind: 'open', layer: 1, volume: 'cr_a', device: '/dev/sdb', keys: ['keyfile:/k'], passphraseGroup: undefined, open: true }], shutdown: [], conflicts: ['x bites'] });
    expect(text).toBe('Boot:\n  1. open cr_a — /dev/sdb with keyfile:/k (open now)\n\nShutdown:\n  (nothing to do)\n\nConflicts:\n  ! x bites');
  });

  it('numbers shutdown steps by layer: steps that run together share a number', () => {
    const stop = (guest: string): Step => ({ kind: 'shutdown', layer: 1, guest, timeoutMs: 60_000, onTimeout: 'destroy', fallback: { kind: 'destroy', layer: 1, guest, when: 'shutdown-timed-out' } });
    const text = renderPlan({ boot: [], shutdown: [stop('a'), stop('b'), { kind: 'close', layer: 2, volume: 'cr_a', mapping: '/dev/mapper/cr_a', timeoutMs: 60_000 }], conflicts: [] });
    expect(text).toContain([
      'Shutdown:',
      '  1. shutdown a — ACPI shutdown, 1min then destroy, in parallel with b',
      '  1. destroy a — if still running after 1min: virsh destroy',
      '  1. shutdown b — ACPI shutdown, 1min then destroy, in parallel with a',
      '  1. destroy b — if still running after 1min: virsh destroy',
      '  2. close cr_a — /dev/mapper/cr_a, retried while busy',
    ].join('\n'));
  });
});

describe('parseCrypttab', () => {
  it('reads name, device, options with line numbers; skips comments', () => {
    const t = '# comment\n\ncr_home UUID=abc none luks,discard\ncr_swap  /dev/sdb2\t/dev/urandom swap\n';
    expect(parseCrypttab(t)).toEqual([
      { name: 'cr_home', device: 'UUID=abc', options: ['luks', 'discard'], line: 3 },
      { name: 'cr_swap', device: '/dev/sdb2', options: ['swap'], line: 4 },
    ]);
  });
});
