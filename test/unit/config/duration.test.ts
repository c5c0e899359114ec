import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../../src/config/duration.js';

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['2min', 120_000],
    ['1h', 3_600_000],
    ['500ms', 500],
    ['1min30s', 90_000],
    ['1min 30s', 90_000],
    ['90', 90_000],
    ['0', 0],
    ['0s', 0],
    ['1.5s', 1500],
    ['2d', 172_800_000],
    ['3m', 180_000],
    [' 10sec ', 10_000],
  ])('%j → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'abc', '2mn', '-5s', '5 s x', 's', '1h-2', '1e3s', '99999999999999999999'])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [500, '500ms'],
    [90_000, '1min30s'],
    [120_000, '2min'],
    [3_600_000, '1h'],
    [86_400_000 + 1000, '1d1s'],
  ])('%d ms → %j, which reads back the same', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});
