// Turns zod's path-only issues into our problems: the line the key is on, what is wrong in words, and the fix.

import type { z } from 'zod/mini';
import type { Problems } from './problem.js';
import { EXAMPLES, KNOWN_KEYS } from './schema.js';
import { closest } from './suggest.js';

type Issue = z.core.$ZodIssue;

const WORD: Record<string, string> = {
  string: 'a string in quotes',
  number: 'a number',
  boolean: 'true or false',
  array: 'an array like ["…"]',
  object: 'a table',
  record: 'a table',
};
const SAMPLE: Record<string, string> = { string: '"…"', number: '4', boolean: 'true', array: '["…"]' };

export function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Date) return 'a date';
  if (v !== null && typeof v === 'object') return 'a table';
  return v === undefined ? 'nothing' : String(v);
}

/** Key as shown to admins: "volume#2" + ["keys", 1] → "volume#2.keys[1]". */
export function keyOf(base: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (k, seg) => (typeof seg === 'number' ? `${k}[${seg}]` : k === '' ? String(seg) : `${k}.${String(seg)}`),
    base,
  );
}

/**
 * Checks one table against its schema and reports every issue. On failure it tries again without the
 * offending keys, so the values that are fine still get their own checks (all problems at once); returns
 * undefined only when a required key is itself the problem.
 */
export function checkShape<S extends z.ZodMiniType>(
  schema: S,
  raw: Record<string, unknown>,
  base: string,
  table: string,
  problems: Problems,
): z.infer<S> | undefined {
  const first = schema.safeParse(raw);
  if (first.success) return first.data;
  const bad = new Set<string>();
  for (const issue of first.error.issues) {
    report(issue, raw, base, table, problems);
    if (issue.code === 'unrecognized_keys' && issue.path.length === 0) issue.keys.forEach((k) => bad.add(k));
    else if (typeof issue.path[0] === 'string') bad.add(issue.path[0]);
  }
  const rest = Object.fromEntries(Object.entries(raw).filter(([k]) => !bad.has(k)));
  const second = schema.safeParse(rest);
  return second.success ? second.data : undefined;
}

function report(issue: Issue, raw: unknown, base: string, table: string, problems: Problems): void {
  const key = keyOf(base, issue.path);
  const value = issue.path.reduce<unknown>((v, seg) => (v as Record<PropertyKey, unknown> | undefined)?.[seg], raw);
  const leaf = [...issue.path].reverse().find((s): s is string => typeof s === 'string') ?? table;
  const example = (type: string): string => EXAMPLES[leaf] ?? `${leaf} = ${SAMPLE[type] ?? '…'}`;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const where = [table, ...issue.path.filter((s) => typeof s === 'string')].filter((s) => s).join('.');
      const known = KNOWN_KEYS[where] ?? [];
      for (const k of issue.keys) {
        const guess = closest(k, known);
        // At the top, a plain value is a key that lost its table header, not a misspelled table.
        const v = (raw as Record<string, unknown>)[k];
        if (where === '' && (typeof v !== 'object' || v instanceof Date)) {
          const table = ['daemon', 'key_server', 'volume', 'guest'].find((t) => KNOWN_KEYS[t]?.includes(k));
          const single = table === 'daemon' || table === 'key_server';
          const fix = table ? `move it under ${single ? `[${table}]` : `a [[${table}]]`}` : 'remove it';
          problems.error(k, `key "${k}" is outside any table`, fix);
          continue;
        }
        const what = where === '' ? `unknown table [${k}]` : `unknown key "${k}"`;
        if (guess) problems.error(keyOf(key, [k]), `${what}, did you mean "${guess}"?`, `rename it to ${guess}`);
        else problems.error(keyOf(key, [k]), what, `remove it; valid here: ${known.join(', ')}`);
      }
      return;
    }
    case 'invalid_type': {
      const last = issue.path[issue.path.length - 1];
      if (value === undefined) problems.error(key, 'required key is missing', `add ${example(issue.expected)}`);
      else if (typeof last === 'number') {
        const parent = keyOf(base, issue.path.slice(0, -1));
        const line = problems.lineOf(key);
        problems.error(parent, `entry ${describe(value)} must be ${WORD[issue.expected]}`, 'quote every entry', line);
      } else {
        const fix = `write ${example(issue.expected)}`;
        problems.error(key, `must be ${WORD[issue.expected] ?? issue.expected}, not ${describe(value)}`, fix);
      }
      return;
    }
    case 'invalid_union':
      problems.error(key, `must be a duration like "90s" or "2min", not ${describe(value)}`, `write ${leaf} = "90s"`);
      return;
    case 'invalid_value': {
      const options = issue.values.map((v) => JSON.stringify(v));
      problems.error(key, `must be ${options.join(' or ')}, not ${describe(value)}`, `write ${leaf} = ${options[0]}`);
      return;
    }
    default:
      problems.error(key, issue.message, 'correct this value');
  }
}
