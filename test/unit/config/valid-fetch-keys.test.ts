// Fetched key sources and [key_server] resolve to exactly these values; their tuning keys warn and fall back.

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatProblem, parseConfig } from '../../../src/config/index.js';
import { FILE, toml } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'cryptvm-keysrv-ok-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ca = join(dir, 'ca.pem');
writeFileSync(ca, 'CA');
const cert = join(dir, 'client.pem');
writeFileSync(cert, 'CERT');
const key = join(dir, 'client.key');
writeFileSync(key, 'KEY');
chmodSync(key, 0o400);

const load = (text: string) => parseConfig(text, FILE, { checkOwnership: false });

describe('fetched key sources', () => {
  it('parses token, token:TYPE, clevis, tang, https: and the volume timeouts', () => {
    const { config, warnings } = load(toml`
      [key_server]
      ca = "${ca}"
      client_cert = "${cert}"
      client_key = "${key}"
      field = "key"
      connect_timeout = "2s"
      timeout = "30s"
      max_bytes = 4096

      [[volume]]
      name = "cr_a"
      device = "/dev/sda"
      headless = true
      keys = ["token", "token:systemd-tpm2", "clevis", "tang", "https:https://vault.example:8200/v1/secret/data/a"]
      token_timeout = "10s"
      network_timeout = "2min"
    `);
    expect(warnings).toEqual([]);
    const v = config.volumes[0];
    expect(v?.keys).toEqual([
      { kind: 'token', tokenType: undefined },
      { kind: 'token', tokenType: 'systemd-tpm2' },
      { kind: 'clevis' },
      { kind: 'clevis' },
      { kind: 'https', url: 'https://vault.example:8200/v1/secret/data/a' },
    ]);
    expect([v?.headless, v?.tokenTimeoutMs, v?.networkTimeoutMs]).toEqual([true, 10_000, 120_000]);
    expect(config.keyServer).toEqual({
      ca, tokenFile: undefined, tokenCredential: undefined, clientCert: cert, clientKey: key,
      field: 'key', connectTimeoutMs: 2000, timeoutMs: 30_000, maxBytes: 4096,
    });
  });

  it('uses the defaults: not headless, 30 s token, 60 s network, [key_server] defaults', () => {
    const { config } = load(toml`
      [key_server]
      ca = "${ca}"
      token_credential = "vault-token"
      [[volume]]
      name = "cr_a"
      device = "/dev/sda"
      keys = ["https:https://vault.example/v1/secret/data/a", "prompt"]
    `);
    const v = config.volumes[0];
    expect([v?.headless, v?.tokenTimeoutMs, v?.networkTimeoutMs]).toEqual([false, 30_000, 60_000]);
    expect(config.keyServer).toEqual({
      ca, tokenFile: undefined, tokenCredential: 'vault-token', clientCert: undefined, clientKey: undefined,
      field: 'passphrase', connectTimeoutMs: 5000, timeoutMs: 15_000, maxBytes: 65_536,
    });
  });

  it('has no keyServer without https: sources, even with an incomplete [key_server] table', () => {
    const { config } = load('[key_server]\nfield = "x"\n[[volume]]\nname = "a"\ndevice = "/dev/a"\nkeys = ["clevis"]\n');
    expect(config.keyServer).toBeUndefined();
  });

  it.each([
    ['[[volume]]\nname = "a"\ndevice = "/dev/a"\ntoken_timeout = "0s"', 'volumes.0.tokenTimeoutMs', 30_000, 'volume#1.token_timeout: 0s is out of range; using the default 30s — set token_timeout between 1s and 1h'],
    ['[[volume]]\nname = "a"\ndevice = "/dev/a"\nnetwork_timeout = "soon"', 'volumes.0.networkTimeoutMs', 60_000, 'volume#1.network_timeout: "soon" is not a duration; using the default 1min — write it like "90s", "2min" or "1min30s"'],
    [`[key_server]\nca = "${ca}"\nclient_cert = "${cert}"\nclient_key = "${key}"\nmax_bytes = 2000000`, 'keyServer.maxBytes', 65_536, 'key_server.max_bytes: 2000000 is out of range 1–1048576; using the default 65536 — set max_bytes between 1 and 1048576'],
    [`[key_server]\nca = "${ca}"\nclient_cert = "${cert}"\nclient_key = "${key}"\ntimeout = "0s"`, 'keyServer.timeoutMs', 15_000, 'key_server.timeout: 0s is out of range; using the default 15s — set timeout between 1s and 1h'],
    [`[key_server]\nca = "${ca}"\nclient_cert = "${cert}"\nclient_key = "${key}"\nconnect_timeout = "1h"`, 'keyServer.connectTimeoutMs', 5000, 'key_server.connect_timeout: 1h is out of range; using the default 5s — set connect_timeout between 100ms and 5min'],
  ])('%j warns and uses the default', (text, path, value, message) => {
    // [key_server] snippets get an https: volume after them, so the table is used.
    const vol = text.startsWith('[key_server]') ? '\n[[volume]]\nname = "v"\ndevice = "/dev/v"\nkeys = ["https:https://k.example/v1/a"]\n' : '';
    const { config, warnings } = load(text + vol);
    expect(path.split('.').reduce<any>((o, k) => o[k], config)).toBe(value);
    expect(warnings.map(formatProblem)).toEqual([`${FILE}:${text.split('\n').length}: warning: ${message}`]);
  });
});
