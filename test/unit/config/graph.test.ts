import { describe, expect, it } from 'vitest';
import { guestOrder, topoLayers } from '../../../src/config/graph.js';
import type { GuestConfig } from '../../../src/config/types.js';

const edges = (o: Record<string, string[]>): Map<string, string[]> => new Map(Object.entries(o));

describe('topoLayers', () => {
  it('puts independent nodes in one layer, in input order', () => {
    expect(topoLayers(['c', 'a', 'b'], edges({}))).toEqual({ layers: [['c', 'a', 'b']] });
  });

  it('orders a diamond into layers', () => {
    const result = topoLayers(['web', 'db', 'dns', 'mail'], edges({ web: ['db', 'dns'], db: ['dns'], mail: ['dns'] }));
    expect(result).toEqual({ layers: [['dns'], ['db', 'mail'], ['web']] });
  });

  it('ignores edges to unknown nodes (validation reports those)', () => {
    expect(topoLayers(['a'], edges({ a: ['ghost'] }))).toEqual({ layers: [['a']] });
  });

  it('names a two-node cycle closed on itself', () => {
    expect(topoLayers(['imap', 'dns'], edges({ imap: ['dns'], dns: ['imap'] }))).toEqual({ cycle: ['imap', 'dns', 'imap'] });
  });

  it('names only the cycle, not the nodes waiting behind it', () => {
    const result = topoLayers(['x', 'a', 'b', 'c'], edges({ x: ['a'], a: ['b'], b: ['c'], c: ['a'] }));
    expect(result).toEqual({ cycle: ['a', 'b', 'c', 'a'] });
  });

  it('reports a self-dependency as a cycle', () => {
    expect(topoLayers(['a'], edges({ a: ['a'] }))).toEqual({ cycle: ['a', 'a'] });
  });
});

describe('guestOrder', () => {
  const guest = (name: string, after: string[]): GuestConfig => ({
    name, after, autostart: true, delayMs: 0, onTimeout: 'destroy', shutdownTimeoutMs: 1000, volumes: [], line: 1,
  });

  it('returns start layers of guest names', () => {
    expect(guestOrder([guest('imap', ['dns']), guest('dns', [])])).toEqual([['dns'], ['imap']]);
  });

  it('throws a Config error naming the cycle', () => {
    expect(() => guestOrder([guest('a', ['b']), guest('b', ['a'])])).toThrow('guest start order has a cycle: a → b → a');
  });
});
