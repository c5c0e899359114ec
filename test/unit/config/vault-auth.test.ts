// [key_server] logins (auth = "approle" | "cert"), namespace and kv_version: what they resolve to, and the one
// clear error each wrong combination gets, on its line.

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/index.js';
import { type BadCase, expectOneError, FILE, toml } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'cryptvm-vault-auth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, mode: number): string => {
  const path = join(dir, name);
  writeFileSync(path, 'x');
  chmodSync(path, mode);
  return path;
};
const ca = file('ca.pem', 0o644);
const cert = file('client.pem', 0o644);
const key = file('client.key', 0o400);
const roleId = file('role_id', 0o400);
const secretId = file('secret_id', 0o400);
const openSecretId = file('secret_id-0644', 0o644);
const token = file('token', 0o400);

const vol = '[[volume]]\nname = "cr_a"\ndevice = "/dev/sda"\nkeys = ["https:https://vault.example:8200/v1/secret/data/a"]\n';
const server = (body: string): string => `[key_server]\nca = "${ca}"\n${body}\n${vol}`;
const load = (text: string) => parseConfig(text, FILE, { checkOwnership: false });

describe('[key_server] logins', () => {
  it('auth = "approle" with files, a custom mount, a namespace and KV v1', () => {
    const { config, warnings } = load(toml`
      [key_server]
      ca = "${ca}"
      auth = "approle"
      auth_mount = "hosts/approle"
      role_id_file = "${roleId}"
      secret_id_file = "${secretId}"
      namespace = "infra/hosts"
      kv_version = 1
      ${vol}
    `);
    expect(warnings).toEqual([]);
    expect(config.keyServer).toMatchObject({
      tokenFile: undefined,
      login: { method: 'approle', mount: 'hosts/approle', roleId: { file: roleId }, secretId: { file: secretId } },
      namespace: 'infra/hosts',
      kvVersion: 1,
    });
  });

  it('auth = "approle" from systemd credentials, default mount', () => {
    const { config } = load(server('auth = "approle"\nrole_id_credential = "vault-role-id"\nsecret_id_credential = "vault-secret-id"'));
    expect(config.keyServer?.login).toEqual({ method: 'approle', mount: 'approle', roleId: { credential: 'vault-role-id' }, secretId: { credential: 'vault-secret-id' } });
  });

  it('auth = "cert" with and without a role name', () => {
    const a = load(server(`auth = "cert"\nclient_cert = "${cert}"\nclient_key = "${key}"\ncert_role = "hosts"`));
    expect(a.config.keyServer?.login).toEqual({ method: 'cert', mount: 'cert', role: 'hosts' });
    const b = load(server(`auth = "cert"\nclient_cert = "${cert}"\nclient_key = "${key}"`));
    expect(b.config.keyServer?.login).toEqual({ method: 'cert', mount: 'cert', role: undefined });
  });

  it('without auth nothing changes: a static token, KV v2, no namespace', () => {
    const { config } = load(server(`token_file = "${token}"`));
    expect(config.keyServer).not.toHaveProperty('login');
    expect(config.keyServer).not.toHaveProperty('namespace');
    expect(config.keyServer).not.toHaveProperty('kvVersion');
  });
});

const cases: BadCase[] = [
  {
    name: 'approle without a secret_id',
    text: server(`auth = "approle"\nrole_id_file = "${roleId}"`),
    line: 3,
    message: `${FILE}:3: key_server.auth: auth = "approle" needs secret_id_file or secret_id_credential — set secret_id_file = "/etc/cryptvm/vault-secret-id" (root-only) or secret_id_credential = "vault-secret-id"`,
  },
  {
    name: 'a secret_id file others can read',
    text: server(`auth = "approle"\nrole_id_file = "${roleId}"\nsecret_id_file = "${openSecretId}"`),
    line: 5,
    message: `${FILE}:5: key_server.secret_id_file: secret_id_file ${openSecretId} has mode 0644: group/other can access it — chown root:root ${openSecretId} && chmod 0400 ${openSecretId}`,
  },
  {
    name: 'role_id_file without auth = "approle"',
    text: server(`token_file = "${token}"\nrole_id_file = "${roleId}"`),
    line: 4,
    message: `${FILE}:4: key_server.role_id_file: role_id_file is set but auth is not "approle" — add auth = "approle" to [key_server], or remove it`,
  },
  {
    name: 'approle and a token file',
    text: server(`auth = "approle"\ntoken_file = "${token}"\nrole_id_credential = "r"\nsecret_id_credential = "s"`),
    line: 3,
    message: `${FILE}:3: key_server.auth: auth = "approle" logs in for its own token: token_file/token_credential would be ignored — remove token_file and token_credential`,
  },
  {
    name: 'cert without a client certificate',
    text: server('auth = "cert"'),
    line: 3,
    message: `${FILE}:3: key_server.auth: auth = "cert" needs client_cert and client_key — set client_cert and client_key (the certificate the cert auth method trusts)`,
  },
  {
    name: 'auth = "token" without a token',
    text: server('auth = "token"'),
    line: 3,
    message: `${FILE}:3: key_server.auth: auth = "token" needs token_file or token_credential — set token_file = "/etc/cryptvm/vault-token" (root-only) or token_credential`,
  },
  {
    name: 'a mount path with ..',
    text: server(`auth = "cert"\nclient_cert = "${cert}"\nclient_key = "${key}"\nauth_mount = "../sys"`),
    line: 6,
    message: `${FILE}:6: key_server.auth_mount: "../sys" is not a valid mount path — write it like "approle" or "hosts/approle" (no leading "/", no "..")`,
  },
  {
    name: 'kv_version 3',
    text: server(`token_file = "${token}"\nkv_version = 3`),
    line: 4,
    message: `${FILE}:4: key_server.kv_version: 3 is not a KV secrets engine version — set kv_version = 2 (…/v1/<mount>/data/<path>) or 1 (…/v1/<mount>/<path>)`,
  },
  {
    name: 'an unknown auth',
    text: server(`token_file = "${token}"\nauth = "kerberos"`),
    line: 4,
    message: `${FILE}:4: key_server.auth: must be "token" or "approle" or "cert", not "kerberos" — write auth = "token"`,
  },
];

describe('refused files: [key_server] logins', () => {
  it.each(cases)('$name', ({ text, line, message }) => expectOneError(text, line, message));
});
