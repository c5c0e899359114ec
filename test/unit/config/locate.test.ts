// The line locator: each key of a valid TOML file to its line, wherever TOML lets it be written.

import { describe, expect, it } from 'vitest';
import { locateLines } from '../../../src/config/locate.js';
import { toml } from './helpers.js';

const text = toml`
  # comment with [[volume]] and key = "x" in it
  [daemon]
  boot_wait = "2min" # trailing # comment
  "quoted.key" = 1

  [[volume]]
  name = "a"
  keys = [
    "prompt", # a ] in a comment
    'keyfile:/x',
  ]
  mount = { where = "/m", options = "a,b" }
  note = """
  [[volume]]
  name = "not a table"
  """
  [[volume]]
  name = 'b'
  [volume.mount]
  where = "/y"
  [[guest]]
  name="g"
  after=["a","b"]
  [[guest]]
  daemon.boot_wait = 1
`;

describe('locateLines', () => {
  const lineOf = locateLines(text);
  it.each([
    ['daemon', 2],
    ['daemon.boot_wait', 3],
    ['daemon.quoted.key', 4],
    ['volume#1', 6],
    ['volume#1.name', 7],
    ['volume#1.keys[0]', 9],
    ['volume#1.keys[1]', 10],
    ['volume#1.mount.options', 12],
    ['volume#1.note', 13],
    ['volume#2', 17],
    ['volume#2.name', 18],
    ['volume#2.mount', 19],
    ['volume#2.mount.where', 20],
    ['guest#1.after[1]', 23],
    ['guest#2.daemon.boot_wait', 25],
  ])('%s is on line %d', (key, line) => {
    expect(lineOf(key)).toBe(line);
  });

  it.each([
    ['volume#2.device', 17, 'a missing key → its table'],
    ['volume#1.keys[7]', 8, 'a missing element → its array'],
    ['guest#3', 0, 'nothing written → 0 (the file as a whole)'],
    ['a.b[x]', 0, 'a key of no known shape → 0, without looping'],
  ])('%s → %d (%s)', (key, line) => {
    expect(lineOf(key)).toBe(line);
  });
});
