// Tuning values out of range do not refuse the file: the default is used and a warning says so.

import { describe, expect, it } from 'vitest';
import { formatProblem, parseConfig } from '../../../src/config/index.js';
import { FILE, refuse, toml } from './helpers.js';

const load = (text: string) => parseConfig(text, FILE, { checkOwnership: false });

describe('tuning values out of range', () => {
  it.each([
    ['[daemon]\nboot_wait = -5', 'daemon.bootWaitMs', 120_000, 'daemon.boot_wait: -5 is out of range; using the default 2min — set boot_wait between 0s and 1d'],
    ['[daemon]\nboot_wait = "30d"', 'daemon.bootWaitMs', 120_000, 'daemon.boot_wait: 30d is out of range; using the default 2min — set boot_wait between 0s and 1d'],
    ['[daemon]\nshutdown_timeout = "soon"', 'daemon.shutdownTimeoutMs', 180_000, 'daemon.shutdown_timeout: "soon" is not a duration; using the default 3min — write it like "90s", "2min" or "1min30s"'],
    ['[daemon]\nparallel_shutdown = 0', 'daemon.parallelShutdown', 4, 'daemon.parallel_shutdown: 0 is out of range 1–64; using the default 4 — set parallel_shutdown between 1 and 64'],
    ['[daemon]\nparallel_unlock = 2.5', 'daemon.parallelUnlock', 0, 'daemon.parallel_unlock: 2.5 is not a whole number; using the default 0 — set parallel_unlock between 0 and 64'],
    ['[[volume]]\nname = "a"\ndevice = "/dev/a"\ntries = 0', 'volumes.0.tries', 3, 'volume#1.tries: 0 is out of range 1–10; using the default 3 — set tries between 1 and 10'],
    ['[[guest]]\nname = "g"\ndelay = "2h"', 'guests.0.delayMs', 0, 'guest#1.delay: 2h is out of range; using the default 0s — set delay between 0s and 1h'],
  ])('%j', (text, path, value, message) => {
    const { config, warnings } = load(text);
    expect(path.split('.').reduce<any>((o, k) => o[k], config)).toBe(value);
    // Each snippet ends with the tuning key, so that is the line the warning names.
    const line = text.split('\n').length;
    expect(warnings.map(formatProblem)).toEqual([`${FILE}:${line}: warning: ${message}`]);
    expect(warnings[0]?.severity).toBe('warning');
  });

  it('a guest without shutdown_timeout inherits the daemon default, after its own correction', () => {
    const { config, warnings } = load('[daemon]\nshutdown_timeout = "0s"\n[[guest]]\nname = "g"\n');
    expect(config.guests[0]?.shutdownTimeoutMs).toBe(180_000);
    expect(warnings.map((w) => w.key)).toEqual(['daemon.shutdown_timeout']);
  });
});

describe('all problems at once', () => {
  it('reports every error and warning in one ConfigError, sorted by line', () => {
    const err = refuse(toml`
      [daemon]
      boot_wait = "forever"
      [[volume]]
      name = "cr_a"
      device = "sda"
      tires = 3
      [[volume]]
      name = "cr_a"
      device = "/dev/sdb"
      keys = ["tang:http://tang.example"]
      [[guest]]
      name = "imap"
      after = ["imap"]
      volumes = ["cr_b"]
    `);
    expect(err.message.split('\n')).toEqual([
      `${FILE}:2: warning: daemon.boot_wait: "forever" is not a duration; using the default 2min — write it like "90s", "2min" or "1min30s"`,
      `${FILE}:5: volume#1.device: device "sda" is a relative path — write the absolute path, e.g. "/sda"`,
      `${FILE}:6: volume#1.tires: unknown key "tires", did you mean "tries"? — rename it to tries`,
      `${FILE}:8: volume#2.name: volume name "cr_a" is already used at line 3 — give each [[volume]] its own name`,
      `${FILE}:10: volume#2.keys: key source "tang" takes no argument, not "tang:http://tang.example" — write "tang"`,
      `${FILE}:13: guest#1.after: start order has a cycle: imap → imap — remove one of these "after" entries`,
      `${FILE}:14: guest#1.volumes: no volume named "cr_b" in this file, did you mean "cr_a"? — add a [[volume]] with that name, or correct the name`,
    ]);
    expect(err.problems.map((p) => p.severity)).toEqual(['warning', 'error', 'error', 'error', 'error', 'error', 'error']);
  });

  it('a bad value does not hide the other values of its table', () => {
    const err = refuse('[[volume]]\nname = "a/b"\ndevice = "/dev/a"\ndiscard = "yes"\nheader = "hdr"\n');
    expect(err.problems.map((p) => [p.line, p.key])).toEqual([
      [2, 'volume#1.name'],
      [4, 'volume#1.discard'],
      [5, 'volume#1.header'],
    ]);
  });
});
