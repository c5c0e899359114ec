// The sketch from BRIEF §3.3, adapted to the key sources this version has, resolves to exactly this Config.

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../../../src/config/index.js';
import { FILE, toml } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'cryptvm-config-'));
const keyFile = join(dir, 'images.key');
writeFileSync(keyFile, 'secret');
chmodSync(keyFile, 0o400);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const text = toml`
  [daemon]
  libvirt_uri = "qemu:///system"
  boot_wait = "2min"          # how long boot holds libvirtd back for human passphrases
  shutdown_timeout = "3min"   # per guest, graceful, before the guest's on_timeout action
  parallel_shutdown = 4

  [[volume]]
  name = "cr_imap_encr"                      # /dev/mapper/cr_imap_encr
  device = "/dev/volgrp4/lvimap_hd0"         # or UUID=…, PARTUUID=…, LABEL=…
  keys = ["credential", "prompt"]            # tried in order
  passphrase_group = "office"                # one typed passphrase for the group
  discard = true

  [[volume]]
  name = "cr_images"
  device = "UUID=3f1c2a9e-5b7d-4c1e-9a2f-0123456789ab"
  uuid = "3F1C2A9E-5B7D-4C1E-9A2F-0123456789AB"
  keys = ["keyfile:${keyFile}", "credential:images-key"]
  mount = { where = "/var/lib/libvirt/images/secure", options = "noatime", type = "ext4" }
  tries = 5
  device_timeout = "1min30s"

  [[guest]]
  name = "imap"            # libvirt domain; its volumes come from its XML unless listed here
  autostart = true
  after = ["dns"]          # start order between guests; reversed at shutdown
  on_timeout = "destroy"   # or "managedsave"
  volumes = ["cr_imap_encr"]

  [[guest]]
  name = "dns"
  autostart = false
  delay = 30
  on_timeout = "managedsave"
  shutdown_timeout = "45s"
`;

const expected: Config = {
  path: FILE,
  daemon: {
    libvirtUri: 'qemu:///system',
    bootWaitMs: 120_000,
    shutdownTimeoutMs: 180_000,
    parallelShutdown: 4,
    parallelUnlock: 0,
    stateDir: '/var/lib/cryptvm',
    ready: 'unattended',
  },
  keyServer: undefined,
  volumes: [
    {
      name: 'cr_imap_encr',
      device: '/dev/volgrp4/lvimap_hd0',
      uuid: undefined,
      keys: [{ kind: 'credential', name: 'cr_imap_encr' }, { kind: 'prompt' }],
      passphraseGroup: 'office',
      discard: true,
      readonly: false,
      header: undefined,
      tries: 3,
      deviceTimeoutMs: 90_000,
      headless: false,
      allowEmpty: false,
      tokenTimeoutMs: 30_000,
      networkTimeoutMs: 60_000,
      mount: undefined,
      line: 7,
    },
    {
      name: 'cr_images',
      device: 'UUID=3f1c2a9e-5b7d-4c1e-9a2f-0123456789ab',
      uuid: '3f1c2a9e-5b7d-4c1e-9a2f-0123456789ab',
      keys: [
        { kind: 'keyfile', path: keyFile },
        { kind: 'credential', name: 'images-key' },
      ],
      passphraseGroup: undefined,
      discard: false,
      readonly: false,
      header: undefined,
      tries: 5,
      deviceTimeoutMs: 90_000,
      headless: false,
      allowEmpty: false,
      tokenTimeoutMs: 30_000,
      networkTimeoutMs: 60_000,
      mount: { where: '/var/lib/libvirt/images/secure', options: 'noatime', type: 'ext4' },
      line: 14,
    },
  ],
  guests: [
    { name: 'imap', autostart: true, after: ['dns'], delayMs: 0, onTimeout: 'destroy', shutdownTimeoutMs: 180_000, volumes: ['cr_imap_encr'], line: 23 },
    { name: 'dns', autostart: false, after: [], delayMs: 30_000, onTimeout: 'managedsave', shutdownTimeoutMs: 45_000, volumes: [], line: 30 },
  ],
};

describe('a valid file', () => {
  it('resolves to the exact Config, with no warnings', () => {
    expect(parseConfig(text, FILE, { checkOwnership: false })).toEqual({ config: expected, warnings: [] });
  });

  it('an empty file is all defaults', () => {
    const { config } = parseConfig('', FILE, { checkOwnership: false });
    expect(config).toEqual({ path: FILE, daemon: expected.daemon, volumes: [], guests: [] });
  });

  it('a volume with only name and device gets every default', () => {
    const { config } = parseConfig('[[volume]]\nname = "a"\ndevice = "LABEL=data"\n', FILE, { checkOwnership: false });
    expect(config.volumes[0]).toMatchObject({ keys: [{ kind: 'prompt' }], tries: 3, deviceTimeoutMs: 90_000, mount: undefined });
  });
});
