import { describe, expect, it } from 'vitest';
import { parseCrypttab } from '../../../src/cli/crypttab.js';
import { renderPlan } from '../../../src/cli/commands/plan.js';
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
    const text = renderPlan({ boot: [{ action: 'open', target: 'cr_a', detail: 'keyfile' }], shutdown: [], conflicts: ['x bites'] });
    expect(text).toBe('Boot:\n  1. open cr_a — keyfile\n\nShutdown:\n  (nothing to do)\n\nConflicts:\n  ! x bites');
  });

  it('numbers shutdown steps by layer: steps that run together share a number', () => {
    const text = renderPlan({ boot: [], shutdown: [
      { action: 'shutdown', target: 'a', detail: '', layer: 1 }, { action: 'shutdown', target: 'b', detail: '', layer: 1 }, { action: 'close', target: 'cr_a', detail: '', layer: 2 },
    ], conflicts: [] });
    expect(text).toContain('Shutdown:\n  1. shutdown a\n  1. shutdown b\n  2. close cr_a\n');
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
