// Names that would read as an option ("-…") or carry control characters into argv, the journal or the
// console prompt: refused at load, one error each, on the right line.

import { describe, it } from 'vitest';
import { type BadCase, expectOneError, FILE, toml } from './helpers.js';

const DM_FIX = 'use 1–127 characters from A-Z a-z 0-9 _ . + -, not starting with "-", e.g. "cr_data"';

const cases: BadCase[] = [
  {
    name: 'volume name starting with "-"',
    text: toml`
      [[volume]]
      name = "--key-file=/tmp/x"
      device = "/dev/sda"
    `,
    line: 2,
    message: `${FILE}:2: volume#1.name: "--key-file=/tmp/x" is not a valid device-mapper name (it starts with "-") — ${DM_FIX}`,
  },
  {
    name: 'volume name "-"',
    text: toml`
      [[volume]]
      name = "-"
      device = "/dev/sda"
    `,
    line: 2,
    message: `${FILE}:2: volume#1.name: "-" is not a valid device-mapper name (it starts with "-") — ${DM_FIX}`,
  },
  {
    name: 'volume name with a newline',
    text: toml`
      [[volume]]
      name = "cr_a\\nstarted"
      device = "/dev/sda"
    `,
    line: 2,
    message: `${FILE}:2: volume#1.name: "cr_a\\nstarted" is not a valid device-mapper name — ${DM_FIX}`,
  },
  {
    name: 'guest name starting with "-"',
    text: toml`
      [[guest]]
      name = "-c"
    `,
    line: 2,
    message: `${FILE}:2: guest#1.name: "-c" starts with "-" (it would read as an option) — rename the domain (virsh domrename) to a name without control characters that does not start with "-"`,
  },
  {
    name: 'guest name with ESC',
    text: toml`
      [[guest]]
      name = "web\\u001b[2J"
    `,
    line: 2,
    message: `${FILE}:2: guest#1.name: "web\\u001b[2J" contains the control character U+001B — rename the domain (virsh domrename) to a name without control characters that does not start with "-"`,
  },
  {
    name: 'guest name with a newline',
    text: toml`
      [[guest]]
      name = "web\\nvolume cr_a opened"
    `,
    line: 2,
    message: `${FILE}:2: guest#1.name: "web\\nvolume cr_a opened" contains the control character U+000A — rename the domain (virsh domrename) to a name without control characters that does not start with "-"`,
  },
  {
    name: 'passphrase_group with a carriage return',
    text: toml`
      [[volume]]
      name = "cr_a"
      device = "/dev/sda"
      passphrase_group = "data\\r"
    `,
    line: 4,
    message: `${FILE}:4: volume#1.passphrase_group: "data\\r" contains the control character U+000D — use letters, digits, "_" and "-", e.g. "data"`,
  },
  {
    name: 'credential name starting with "-"',
    text: toml`
      [[volume]]
      name = "cr_a"
      device = "/dev/sda"
      keys = ["credential:-x"]
    `,
    line: 4,
    message: `${FILE}:4: volume#1.keys: invalid credential name "-x" — use a plain file name without "/" or control characters, not starting with "-"`,
  },
];

describe('refused files: names', () => {
  it.each(cases)('$name', ({ text, line, message }) => expectOneError(text, line, message));
});
