// One test per unsafe [[volume]] (identity, mounts): the exact line an admin reads, on the right line.

import { describe, it } from 'vitest';
import { type BadCase, expectOneError, FILE, toml } from './helpers.js';

const cases: BadCase[] = [
  {
    name: 'duplicate volume names',
    text: toml`
      [[volume]]
      name = "cr_a"
      device = "/dev/sda"
      [[volume]]
      name = "cr_a"
      device = "/dev/sdb"
    `,
    line: 5,
    message: `${FILE}:5: volume#2.name: volume name "cr_a" is already used at line 1 — give each [[volume]] its own name`,
  },
  {
    name: 'duplicate device paths',
    text: toml`
      [[volume]]
      name = "cr_a"
      device = "/dev/vg0/lv"
      [[volume]]
      name = "cr_b"
      device = "/dev//vg0/lv"
    `,
    line: 6,
    message: `${FILE}:6: volume#2.device: device "/dev//vg0/lv" is the same device as volume "cr_a" (line 1) — open each device through one [[volume]] only`,
  },
  {
    name: 'duplicate device by UUID= and uuid',
    text: toml`
      [[volume]]
      name = "cr_a"
      device = "UUID=0A1B2C3D-0000-4000-8000-000000000001"
      [[volume]]
      name = "cr_b"
      device = "/dev/sdb"
      uuid = "0a1b2c3d-0000-4000-8000-000000000001"
    `,
    line: 7,
    message: `${FILE}:7: volume#2.uuid: uuid "0a1b2c3d-0000-4000-8000-000000000001" is the same device as volume "cr_a" (line 1) — open each device through one [[volume]] only`,
  },
  {
    name: 'invalid mapping name',
    text: toml`
      [[volume]]
      name = "cr/a"
      device = "/dev/sda"
    `,
    line: 2,
    message: `${FILE}:2: volume#1.name: "cr/a" is not a valid device-mapper name — use 1–127 characters from A-Z a-z 0-9 _ . + -, not starting with "-", e.g. "cr_data"`,
  },
  {
    name: 'reserved mapping name',
    text: toml`
      [[volume]]
      name = "control"
      device = "/dev/sda"
    `,
    line: 2,
    message: `${FILE}:2: volume#1.name: "control" is reserved by device-mapper — use 1–127 characters from A-Z a-z 0-9 _ . + -, not starting with "-", e.g. "cr_data"`,
  },
  {
    name: 'malformed LUKS uuid',
    text: toml`
      [[volume]]
      name = "cr_a"
      device = "/dev/sda"
      uuid = "1234"
    `,
    line: 4,
    message: `${FILE}:4: volume#1.uuid: "1234" is not a LUKS UUID — copy it from \`cryptsetup luksUUID DEVICE\` (like 12345678-9abc-def0-1234-56789abcdef0)`,
  },
  {
    name: 'nested mount points',
    text: toml`
      [[volume]]
      name = "cr_a"
      device = "/dev/sda"
      mount = { where = "/srv/images" }
      [[volume]]
      name = "cr_b"
      device = "/dev/sdb"
      [volume.mount]
      where = "/srv/images/secure/"
    `,
    line: 9,
    message: `${FILE}:9: volume#2.mount.where: mount point /srv/images/secure and /srv/images of volume "cr_a" (line 1) are nested — mount each volume on its own directory, side by side`,
  },
  {
    name: 'two volumes on one mount point',
    text: toml`
      [[volume]]
      name = "cr_a"
      device = "/dev/sda"
      mount = { where = "/srv/images" }
      [[volume]]
      name = "cr_b"
      device = "/dev/sdb"
      mount = { where = "/srv//images", options = "noatime" }
    `,
    line: 8,
    message: `${FILE}:8: volume#2.mount.where: mount point /srv/images is also the mount point of volume "cr_a" (line 1) — mount each volume on its own directory, side by side`,
  },
];

describe('refused files: volumes', () => {
  it.each(cases)('$name', ({ text, line, message }) => expectOneError(text, line, message));
});
