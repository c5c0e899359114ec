// The commented default config (packaging/cryptvm.toml, installed as /etc/cryptvm/cryptvm.toml) loads as
// shipped (daemon idles with zero volumes), its commented examples use only keys the loader knows, and the
// manual page documents every key the loader accepts.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/index.js';
import { daemonSchema, guestSchema, KNOWN_KEYS, volumeSchema } from '../../../src/config/schema.js';
import { REPO } from './unit-file.js';

const shipped = readFileSync(resolve(REPO, 'packaging/cryptvm.toml'), 'utf8');
const manual = readFileSync(resolve(REPO, 'docs/man/cryptvm.toml.5'), 'utf8');

/** The file with every commented-out key and table header turned on. */
function uncommented(text: string): string {
  return text
    .split('\n')
    .map((l) => l.replace(/^#(?=\[|[a-z_]+ = )/, ''))
    .join('\n');
}

describe('packaging/cryptvm.toml', () => {
  it('loads as shipped: defaults only, no volumes, no guests, no warnings', () => {
    const { config, warnings } = parseConfig(shipped, '/etc/cryptvm/cryptvm.toml', { checkOwnership: false });
    expect(config.volumes).toEqual([]);
    expect(config.guests).toEqual([]);
    expect(warnings).toEqual([]);
    expect(config.daemon).toMatchObject({ libvirtUri: 'qemu:///system', bootWaitMs: 120_000, parallelShutdown: 4 });
  });

  it('has commented examples that match the schema exactly (no unknown keys, right types)', () => {
    const raw = parse(uncommented(shipped)) as { daemon: unknown; volume: unknown[]; guest: unknown[] };
    expect(raw.volume).toHaveLength(2);
    expect(raw.guest).toHaveLength(2);
    expect(daemonSchema.safeParse(raw.daemon).error).toBeUndefined();
    for (const v of raw.volume) expect(volumeSchema.safeParse(v).error).toBeUndefined();
    for (const g of raw.guest) expect(guestSchema.safeParse(g).error).toBeUndefined();
  });

  it('shows every key the loader accepts, and the daemon defaults the loader uses', () => {
    const text = uncommented(shipped);
    for (const [table, keys] of Object.entries(KNOWN_KEYS)) {
      if (table === '') continue;
      for (const key of keys) expect(text, `${table}.${key}`).toMatch(new RegExp(`\\b${key} = `));
    }
    const { config } = parseConfig(
      uncommented(shipped).split('[[volume]]')[0] as string,
      'daemon-only.toml',
      { checkOwnership: false },
    );
    expect(config.daemon).toEqual(parseConfig('', 'empty.toml', { checkOwnership: false }).config.daemon);
  });
});

describe('cryptvm.toml(5)', () => {
  it('documents every key the loader accepts', () => {
    for (const [table, keys] of Object.entries(KNOWN_KEYS)) {
      if (table === '') continue;
      for (const key of keys) expect(manual, `${table}.${key}`).toMatch(new RegExp(`^\\.BR ${key} "`, 'm'));
    }
  });
});
