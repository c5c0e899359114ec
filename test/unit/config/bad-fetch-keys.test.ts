// One test per refused fetched-key setting (token, clevis/tang, https:, [key_server], headless): the exact
// line an admin reads, on the right line.

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { type BadCase, expectOneError, FILE, toml } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'cryptvm-keysrv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ca = join(dir, 'ca.pem');
writeFileSync(ca, 'CA');
const token = join(dir, 'token');
writeFileSync(token, 'hvs.x');
chmodSync(token, 0o400);
const openToken = join(dir, 'token-0644');
writeFileSync(openToken, 'hvs.x');
chmodSync(openToken, 0o644);
const cert = join(dir, 'client.pem');
writeFileSync(cert, 'CERT');
const key = join(dir, 'client.key');
writeFileSync(key, 'KEY');
chmodSync(key, 0o440);

const vol = (keys: string, extra = ''): string => `[[volume]]\nname = "cr_a"\ndevice = "/dev/sda"\nkeys = [${keys}]\n${extra}`;
const server = (body: string): string => `[key_server]\n${body}\n`;
const URL_A = '"https:https://vault.example/v1/secret/data/a"';

const cases: BadCase[] = [
  {
    name: 'headless volume that lists prompt',
    text: toml`
      [[volume]]
      name = "cr_a"
      device = "/dev/sda"
      headless = true
      keys = ["token", "prompt"]
    `,
    line: 5,
    message: `${FILE}:5: volume#1.keys: headless volume lists "prompt" — remove one: the "prompt" entry or headless = true`,
  },
  {
    name: 'headless volume without keys (the default would be prompt)',
    text: vol('"token"').replace('keys = ["token"]\n', 'headless = true\n'),
    line: 4,
    message: `${FILE}:4: volume#1.headless: headless volume has no keys, and the default "prompt" is refused for it — list its key sources, e.g. keys = ["token", "clevis"]`,
  },
  {
    name: 'headless must be a boolean',
    text: vol('"token"', 'headless = "yes"'),
    line: 5,
    message: `${FILE}:5: volume#1.headless: must be true or false, not "yes" — write headless = true`,
  },
  {
    name: 'empty token type',
    text: vol('"token:"'),
    line: 4,
    message: `${FILE}:4: volume#1.keys: invalid token type "" — write "token" (any type) or e.g. "token:systemd-tpm2", "token:systemd-fido2"`,
  },
  {
    name: 'token type with a slash',
    text: vol('"token:../tpm2"'),
    line: 4,
    message: `${FILE}:4: volume#1.keys: invalid token type "../tpm2" — write "token" (any type) or e.g. "token:systemd-tpm2", "token:systemd-fido2"`,
  },
  {
    name: 'token:clevis',
    text: vol('"token:clevis"'),
    line: 4,
    message: `${FILE}:4: volume#1.keys: clevis tokens are not opened by cryptsetup's token plugins — write "clevis" instead of "token:clevis"`,
  },
  {
    name: 'clevis with an argument',
    text: vol('"clevis:tpm2"'),
    line: 4,
    message: `${FILE}:4: volume#1.keys: key source "clevis" takes no argument, not "clevis:tpm2" — write "clevis"`,
  },
  {
    name: 'misspelled clevis',
    text: vol('"clevsi"'),
    line: 4,
    message: `${FILE}:4: volume#1.keys: unknown key source "clevsi", did you mean "clevis"? — use one of: prompt, keyfile:/PATH, credential[:NAME], token[:TYPE], clevis (or tang), https:URL`,
  },
  {
    name: 'http:// key server',
    text: server(`ca = "${ca}"\ntoken_file = "${token}"`) + vol('"https:http://vault.example/v1/secret/data/a"'),
    line: 7,
    message: `${FILE}:7: volume#1.keys: key server URL http://vault.example/v1/secret/data/a uses http:, and there are no plaintext key servers — use https:// and set [key_server] ca`,
  },
  {
    name: 'https: without a URL',
    text: server(`ca = "${ca}"\ntoken_file = "${token}"`) + vol('"https:vault.example"'),
    line: 7,
    message: `${FILE}:7: volume#1.keys: key server URL "vault.example" is not a URL — write e.g. "https:https://vault.example:8200/v1/secret/data/cryptvm/NAME"`,
  },
  {
    name: 'https: URL with credentials',
    text: server(`ca = "${ca}"\ntoken_file = "${token}"`) + vol('"https:https://u:p@vault.example/v1/k"'),
    line: 7,
    message: `${FILE}:7: volume#1.keys: key server URL vault.example/v1/k carries a user name or password — remove it; set [key_server] token_file or client_cert`,
  },
  {
    name: 'https: source without [key_server]',
    text: toml`
      [[volume]]
      name = "cr_a"
      device = "/dev/sda"
      keys = [
        "token",
        ${URL_A},
      ]
    `,
    line: 6,
    message: `${FILE}:6: key_server: an https: key source needs a [key_server] table — add [key_server] with ca = "/etc/cryptvm/ca.pem" and token_file or client_cert`,
  },
  {
    name: '[key_server] without ca',
    text: server(`token_file = "${token}"`) + vol(URL_A),
    line: 1,
    message: `${FILE}:1: key_server: required key "ca" is missing: https: sources verify the server against it — add ca = "/etc/cryptvm/ca.pem" (there is no way to turn verification off)`,
  },
  {
    name: '[key_server] without authentication',
    text: server(`ca = "${ca}"`) + vol(URL_A),
    line: 1,
    message: `${FILE}:1: key_server: no authentication for the key server — set token_file, token_credential, auth = "approle" with role_id_file and secret_id_file, or client_cert and client_key`,
  },
  {
    name: 'relative ca',
    text: server(`ca = "etc/ca.pem"\ntoken_file = "${token}"`) + vol(URL_A),
    line: 2,
    message: `${FILE}:2: key_server.ca: ca "etc/ca.pem" is a relative path — write the absolute path, e.g. "/etc/ca.pem"`,
  },
  {
    name: 'missing ca file',
    text: server(`ca = "${dir}/nope.pem"\ntoken_file = "${token}"`) + vol(URL_A),
    line: 2,
    message: `${FILE}:2: key_server.ca: ca ${dir}/nope.pem does not exist — create it or correct the path`,
  },
  {
    name: 'token_file readable by others',
    text: server(`ca = "${ca}"\ntoken_file = "${openToken}"`) + vol(URL_A),
    line: 3,
    message: `${FILE}:3: key_server.token_file: token_file ${openToken} has mode 0644: group/other can access it — chown root:root ${openToken} && chmod 0400 ${openToken}`,
  },
  {
    name: 'client_key readable by the group',
    text: server(`ca = "${ca}"\nclient_cert = "${cert}"\nclient_key = "${key}"`) + vol(URL_A),
    line: 4,
    message: `${FILE}:4: key_server.client_key: client_key ${key} has mode 0440: group/other can access it — chown root:root ${key} && chmod 0400 ${key}`,
  },
  {
    name: 'client_cert without client_key',
    text: server(`ca = "${ca}"\ntoken_file = "${token}"\nclient_cert = "${cert}"`) + vol(URL_A),
    line: 4,
    message: `${FILE}:4: key_server.client_cert: client_cert is set without client_key — set both client_cert and client_key, or neither`,
  },
  {
    name: 'token_file and token_credential together',
    text: server(`ca = "${ca}"\ntoken_file = "${token}"\ntoken_credential = "vault-token"`) + vol(URL_A),
    line: 4,
    message: `${FILE}:4: key_server.token_credential: token_file and token_credential are both set — keep one of them`,
  },
  {
    name: 'token_credential with a slash',
    text: server(`ca = "${ca}"\ntoken_credential = "a/b"`) + vol(URL_A),
    line: 3,
    message: `${FILE}:3: key_server.token_credential: invalid credential name "a/b" — use a plain file name without "/" or control characters, not starting with "-"`,
  },
  {
    name: 'empty field',
    text: server(`ca = "${ca}"\ntoken_file = "${token}"\nfield = ""`) + vol(URL_A),
    line: 4,
    message: `${FILE}:4: key_server.field: is empty — name the secret's field that holds the key, e.g. field = "passphrase"`,
  },
  {
    name: 'unknown key in [key_server]',
    text: server(`ca = "${ca}"\ntoken_file = "${token}"\nverify = false`) + vol(URL_A),
    line: 4,
    message: `${FILE}:4: key_server.verify: unknown key "verify" — remove it; valid here: ca, token_file, token_credential, client_cert, client_key, field, connect_timeout, timeout, max_bytes, auth, auth_mount, cert_role, role_id_file, role_id_credential, secret_id_file, secret_id_credential, namespace, kv_version`,
  },
];

describe('refused files: fetched key sources and [key_server]', () => {
  it.each(cases)('$name', ({ text, line, message }) => expectOneError(text, line, message));
});
