// Value checks shared by the [daemon], [[volume]] and [[guest]] resolvers. Tuning values (durations, counts)
// fall back to their default with a warning; paths are safety and refuse the file when relative.

import { posix } from 'node:path';
import { formatDuration, parseDuration } from './duration.js';
import type { Problems } from './problem.js';

const leafOf = (key: string): string => key.slice(key.lastIndexOf('.') + 1);

export function tuningInt(p: Problems, key: string, v: number | undefined, def: number, min: number, max: number) {
  if (v === undefined) return def;
  if (Number.isInteger(v) && v >= min && v <= max) return v;
  const what = Number.isInteger(v) ? `${v} is out of range ${min}–${max}` : `${v} is not a whole number`;
  p.warn(key, `${what}; using the default ${def}`, `set ${leafOf(key)} between ${min} and ${max}`);
  return def;
}

/** A duration in ms, within [min, max]; a bare number means seconds. */
export function tuningDuration(
  p: Problems,
  key: string,
  v: string | number | undefined,
  def: number,
  [min, max]: [number, number],
): number {
  if (v === undefined) return def;
  const ms = typeof v === 'number' ? (Number.isInteger(v) ? v * 1000 : undefined) : parseDuration(v);
  const range = `${formatDuration(min)} and ${formatDuration(max)}`;
  if (ms === undefined) {
    const fix = `write it like "90s", "2min" or "1min30s"`;
    p.warn(key, `${JSON.stringify(v)} is not a duration; using the default ${formatDuration(def)}`, fix);
    return def;
  }
  if (ms >= min && ms <= max) return ms;
  const shown = ms < 0 ? String(v) : formatDuration(ms);
  const what = `${shown} is out of range; using the default ${formatDuration(def)}`;
  p.warn(key, what, `set ${leafOf(key)} between ${range}`);
  return def;
}

/** The normalized absolute path, or undefined (and an error) when `v` is relative or empty. */
export function absolutePath(p: Problems, key: string, v: string, what: string, line?: number): string | undefined {
  if (v.startsWith('/')) {
    const norm = posix.normalize(v);
    return norm.length > 1 && norm.endsWith('/') ? norm.slice(0, -1) : norm;
  }
  const example = v === '' ? '"/…"' : JSON.stringify(`/${v}`);
  p.error(key, `${what} ${JSON.stringify(v)} is a relative path`, `write the absolute path, e.g. ${example}`, line);
  return undefined;
}

/** Mount point b is a or below it. */
export function isInside(b: string, a: string): boolean {
  return b === a || a === '/' || b.startsWith(`${a}/`);
}
