// A minimal systemd unit file reader for tests: sections of key → values, repeated keys accumulate (as systemd
// does for dependency lists), comments and blank lines skipped. Enough to assert what the shipped units say.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export type UnitFile = Map<string, Map<string, string[]>>;

export function parseUnit(text: string): UnitFile {
  const unit: UnitFile = new Map();
  let section: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = new Map();
      unit.set(header[1] as string, section);
      continue;
    }
    const eq = line.indexOf('=');
    if (!section || eq < 0) throw new Error(`not a unit file line: ${JSON.stringify(raw)}`);
    const key = line.slice(0, eq).trim();
    section.set(key, [...(section.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return unit;
}

export function readUnit(name: string): UnitFile {
  return parseUnit(readFileSync(resolve(REPO, 'systemd', name), 'utf8'));
}

/** All values of `key` in `section`, with space-separated lists split (After=a b → [a, b]). */
export function list(unit: UnitFile, section: string, key: string): string[] {
  return (unit.get(section)?.get(key) ?? []).flatMap((v) => v.split(/\s+/)).filter((v) => v !== '');
}

/** The single value of `key`, or undefined; throws when the key is set more than once. */
export function single(unit: UnitFile, section: string, key: string): string | undefined {
  const values = unit.get(section)?.get(key) ?? [];
  if (values.length > 1) throw new Error(`${section}.${key} is set ${values.length} times`);
  return values[0];
}
