// One test per relative path or unusable key source: the exact line an admin reads, on the right line.

import { describe, it } from 'vitest';
import { type BadCase, expectOneError, FILE, toml } from './helpers.js';

const cases: BadCase[] = [
  {
    name: 'relative device path',
    text: toml`
      [[volume]]
      name = "cr_a"
      device = "dev/sda"
    `,
    line: 3,
    message: `${FILE}:3: volume#1.device: device "dev/sda" is a relative path — write the absolute path, e.g. "/dev/sda"`,
  },
  {
    name: 'relative key file, on its own line in a multi-line array',
    text: toml`
      [[volume]]
      name = "cr_a"
      device = "/dev/sda"
      keys = [
        "prompt",
        "keyfile:keys/a.key",
      ]
    `,
    line: 6,
    message: `${FILE}:6: volume#1.keys: key file "keys/a.key" is a relative path — write the absolute path, e.g. "/keys/a.key"`,
  },
  {
    name: 'relative mount point',
    text: toml`
      [[volume]]
      name = "cr_a"
      device = "/dev/sda"
      mount = { where = "srv/a" }
    `,
    line: 4,
    message: `${FILE}:4: volume#1.mount.where: mount point "srv/a" is a relative path — write the absolute path, e.g. "/srv/a"`,
  },
  {
    name: 'relative state_dir',
    text: toml`
      [daemon]
      state_dir = "var/lib/cryptvm"
    `,
    line: 2,
    message: `${FILE}:2: daemon.state_dir: state_dir "var/lib/cryptvm" is a relative path — write the absolute path, e.g. "/var/lib/cryptvm"`,
  },
  {
    name: 'misspelled key source',
    text: toml`
      [[volume]]
      name = "cr_a"
      device = "/dev/sda"
      keys = ["promtp"]
    `,
    line: 4,
    message: `${FILE}:4: volume#1.keys: unknown key source "promtp", did you mean "prompt"? — use one of: prompt, keyfile:/PATH, credential[:NAME], token[:TYPE], clevis (or tang), https:URL`,
  },
  {
    name: 'credential name with a slash',
    text: toml`
      [[volume]]
      name = "cr_a"
      device = "/dev/sda"
      keys = ["credential:../a"]
    `,
    line: 4,
    message: `${FILE}:4: volume#1.keys: invalid credential name "../a" — use a plain file name without "/" or control characters, not starting with "-"`,
  },
];

describe('refused files: paths and key sources', () => {
  it.each(cases)('$name', ({ text, line, message }) => expectOneError(text, line, message));
});
