// One test per kind of malformed file (syntax, shape): the exact line an admin reads, on the right line.

import { describe, it } from 'vitest';
import { type BadCase, expectOneError, FILE, toml } from './helpers.js';

const cases: BadCase[] = [
  {
    name: 'TOML syntax error, with line and column from smol-toml',
    text: toml`
      [daemon]
      boot_wait = "2min
    `,
    line: 2,
    message: `${FILE}:2: (syntax): invalid TOML at column 18: control characters are not allowed in strings — correct the syntax on this line`,
  },
  {
    name: 'unknown key with a suggestion',
    text: toml`
      [[volume]]
      name = "cr_a"
      device = "/dev/sda"
      tires = 3
    `,
    line: 4,
    message: `${FILE}:4: volume#1.tires: unknown key "tires", did you mean "tries"? — rename it to tries`,
  },
  {
    name: 'unknown key with nothing close lists the valid keys',
    text: toml`
      [daemon]
      colour = "blue"
    `,
    line: 2,
    message: `${FILE}:2: daemon.colour: unknown key "colour" — remove it; valid here: libvirt_uri, boot_wait, shutdown_timeout, parallel_shutdown, parallel_unlock, state_dir, ready`,
  },
  {
    name: 'misspelled table',
    text: toml`
      [deamon]
      boot_wait = "1s"
    `,
    line: 1,
    message: `${FILE}:1: deamon: unknown table [deamon], did you mean "daemon"? — rename it to daemon`,
  },
  {
    name: 'unknown key inside an inline mount table',
    text: toml`
      [[volume]]
      name = "cr_a"
      device = "/dev/sda"
      mount = { where = "/srv/a", optoins = "noatime" }
    `,
    line: 4,
    message: `${FILE}:4: volume#1.mount.optoins: unknown key "optoins", did you mean "options"? — rename it to options`,
  },
  {
    name: '[volume] written with single brackets',
    text: toml`
      [volume]
      name = "cr_a"
    `,
    line: 1,
    message: `${FILE}:1: volume: must be an array like ["…"], not a table — write [[volume]] (double brackets)`,
  },
  {
    name: 'missing required device',
    text: toml`
      [[volume]]
      name = "cr_a"
    `,
    line: 1,
    message: `${FILE}:1: volume#1.device: required key is missing — add device = "/dev/…" (or "UUID=…")`,
  },
  {
    name: 'wrong type',
    text: toml`
      [[volume]]
      name = "cr_a"
      device = "/dev/sda"
      discard = "yes"
    `,
    line: 4,
    message: `${FILE}:4: volume#1.discard: must be true or false, not "yes" — write discard = true`,
  },
];

describe('refused files: syntax and shape', () => {
  it.each(cases)('$name', ({ text, line, message }) => expectOneError(text, line, message));
});

describe('keys outside any table', () => {
  it.each([
    ['boot_wait = "1s"\n', `${FILE}:1: boot_wait: key "boot_wait" is outside any table — move it under [daemon]`],
    ['tries = 3\n', `${FILE}:1: tries: key "tries" is outside any table — move it under a [[volume]]`],
    ['colour = 3\n', `${FILE}:1: colour: key "colour" is outside any table — remove it`],
  ])('%j', (text, message) => expectOneError(text, 1, message));
});
