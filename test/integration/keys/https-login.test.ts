// https: key source logins (AppRole, TLS certificate), namespaces and KV v1 against the Vault API emulation the
// lab key server uses (lab/vault-api.mjs), over real TLS with a test CA made by openssl: the documented request
// and reply shapes, the token used for one read and revoked right after, and each failure a clear reason.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { vaultApi, type VaultApi, type VaultSpec } from '../../../lab/vault-api.mjs';
import type { KeyServerConfig, VaultLogin } from '../../../src/config/types.js';
import { HttpsSource } from '../../../src/keys/https.js';
import { FAST, keyContext, serverConfig } from '../../helpers/https-server.js';
import { makeTestCa, type TestCa } from '../../helpers/test-ca.js';

const KEY = 'the volume key\nwith a newline';
const ROLE_ID = '6a1c7c2e-0d6f-4c0e-9f4a-2d1f6a0b7c11';
const SECRET_ID = '1f0e5b2d-9c3a-4e8f-b7d6-5a4c3b2a1908';
const PATH = '/v1/secret/data/hosts/kvm1';

let ca: TestCa;
let api: VaultApi;
let server: Server;
let base: string;
const sockets = new Set<Socket>();

function spec(): VaultSpec {
  return {
    kv2: { mount: 'secret', secrets: { 'hosts/kvm1': { passphrase: KEY }, 'hosts/other': { passphrase: 'not yours' } } },
    kv1: { mount: 'kv', secrets: { 'hosts/kvm1': { passphrase: `${KEY} (v1)` } } },
    approle: { roles: { kvm1: { roleId: ROLE_ID, secretIds: [SECRET_ID], paths: [PATH, '/v1/kv/hosts/kvm1'] } } },
    cert: { roles: { hosts: { ca: ca.caPem, paths: [PATH] } } },
  };
}

async function listen(s: VaultSpec): Promise<void> {
  api = vaultApi(s);
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  sockets.forEach((x) => x.destroy());
  // Like Vault's listener: asks for a client certificate, lets the cert auth method judge it.
  server = createServer({ cert: ca.server.certPem, key: ca.server.keyPem, ca: ca.caPem, requestCert: true, rejectUnauthorized: false }, (q, r) => api.handle(q, r));
  server.on('connection', (x: Socket) => void sockets.add(x).size);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function secretFile(name: string, content: string, mode = 0o600): string {
  const path = join(ca.dir, name);
  writeFileSync(path, content, { mode });
  chmodSync(path, mode);
  return path;
}

const approle = (over: Partial<Extract<VaultLogin, { method: 'approle' }>> = {}): VaultLogin => ({
  method: 'approle',
  mount: 'approle',
  roleId: { file: secretFile('role_id', `${ROLE_ID}\n`) },
  secretId: { file: secretFile('secret_id', `${SECRET_ID}\n`) },
  ...over,
});

const fetchKey = (path: string, over: Partial<KeyServerConfig>, credentialsDir?: string) =>
  new HttpsSource(`${base}${path}`, serverConfig(ca, over), FAST).get(keyContext(3000, undefined, credentialsDir));

beforeAll(async () => {
  ca = makeTestCa();
});
beforeEach(async () => listen(spec()));
afterAll(async () => {
  sockets.forEach((x) => x.destroy());
  await new Promise<void>((r) => server.close(() => r()));
  ca.cleanup();
});

describe('AppRole login', () => {
  it('logs in with role_id and secret_id, reads with the token it got and revokes it', async () => {
    const a = await fetchKey(PATH, { login: approle() });
    expect(a.kind === 'key' && a.key.toString()).toBe(KEY);
    expect(api.log).toEqual(['POST /v1/auth/approle/login 200', `GET ${PATH} 200`, 'POST /v1/auth/token/revoke-self 204']);
    expect(api.live()).toBe(0);
  });

  it('reads role_id and secret_id from systemd credentials', async () => {
    const dir = join(ca.dir, 'creds');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'vault-role-id'), ROLE_ID);
    writeFileSync(join(dir, 'vault-secret-id'), SECRET_ID);
    const login: VaultLogin = { method: 'approle', mount: 'approle', roleId: { credential: 'vault-role-id' }, secretId: { credential: 'vault-secret-id' } };
    const a = await fetchKey(PATH, { login }, dir);
    expect(a.kind === 'key' && a.key.toString()).toBe(KEY);
  });

  it('a wrong secret_id is refused once (HTTP 400, no retry) and nothing is read', async () => {
    const a = await fetchKey(PATH, { login: approle({ secretId: { file: secretFile('bad_secret_id', 'a-wrong-or-expired-secret-id\n') } }) });
    expect(a).toMatchObject({
      kind: 'unavailable',
      reason: expect.stringMatching(/^AppRole login refused at \/v1\/auth\/approle\/login \(HTTP 400\) — check role_id and secret_id: the secret_id may be wrong, expired or used up/),
    });
    expect(api.log).toEqual(['POST /v1/auth/approle/login 400']);
  });

  it('a token whose policy does not cover the path: HTTP 403 names the path, and the token is still revoked', async () => {
    const a = await fetchKey('/v1/secret/data/hosts/other', { login: approle() });
    expect(a).toMatchObject({ kind: 'unavailable', reason: "key server refused the token (HTTP 403) — check the token's policy for /v1/secret/data/hosts/other" });
    expect(api.log).toEqual(['POST /v1/auth/approle/login 200', 'GET /v1/secret/data/hosts/other 403', 'POST /v1/auth/token/revoke-self 204']);
    expect(api.live()).toBe(0);
  });

  it('refuses a group-readable secret_id file without contacting the server', async () => {
    const a = await fetchKey(PATH, { login: approle({ secretId: { file: secretFile('loose_secret_id', SECRET_ID, 0o640) } }) });
    expect(a).toMatchObject({ kind: 'unavailable', reason: expect.stringMatching(/^secret_id: .*mode 0640.*chmod 0400/) });
    expect(api.log).toEqual([]);
  });

  it('an AppRole mounted elsewhere: auth_mount; a wrong mount is a clear 404', async () => {
    await listen({ ...spec(), approle: { mount: 'hosts/approle', roles: spec().approle!.roles } });
    const ok = await fetchKey(PATH, { login: approle({ mount: 'hosts/approle' }) });
    expect(ok.kind).toBe('key');
    const wrong = await fetchKey(PATH, { login: approle() });
    expect(wrong).toMatchObject({ kind: 'unavailable', reason: 'no login at /v1/auth/approle/login (HTTP 404) — is the approle auth method enabled at auth_mount "approle"?' });
  });

  it('sends X-Vault-Namespace on the login, the read and the revoke', async () => {
    await listen({ ...spec(), namespace: 'infra/hosts' });
    const a = await fetchKey(PATH, { login: approle(), namespace: 'infra/hosts' });
    expect(a.kind === 'key' && a.key.toString()).toBe(KEY);
    expect(api.log).toEqual(['POST /v1/auth/approle/login 200', `GET ${PATH} 200`, 'POST /v1/auth/token/revoke-self 204']);
    const without = await fetchKey(PATH, { login: approle() });
    expect(without).toMatchObject({ kind: 'unavailable', reason: expect.stringMatching(/^no login at \/v1\/auth\/approle\/login \(HTTP 404\)/) });
  });

  it('reads a KV v1 secret with kv_version = 1', async () => {
    const a = await fetchKey('/v1/kv/hosts/kvm1', { login: approle(), kvVersion: 1 });
    expect(a.kind === 'key' && a.key.toString()).toBe(`${KEY} (v1)`);
    const v2 = await fetchKey('/v1/kv/hosts/kvm1', { login: approle() });
    expect(v2).toMatchObject({ kind: 'unavailable', reason: expect.stringMatching(/no data\.data object .*set kv_version = 1/) });
  });
});

describe('TLS certificate login', () => {
  const cert = (over: Partial<KeyServerConfig> = {}): Partial<KeyServerConfig> => ({
    clientCert: ca.client.cert,
    clientKey: ca.client.key,
    login: { method: 'cert', mount: 'cert', role: 'hosts' },
    ...over,
  });

  it('logs in with the client certificate (named role), reads and revokes', async () => {
    const a = await fetchKey(PATH, cert());
    expect(a.kind === 'key' && a.key.toString()).toBe(KEY);
    expect(api.log).toEqual(['POST /v1/auth/cert/login 200', `GET ${PATH} 200`, 'POST /v1/auth/token/revoke-self 204']);
    expect(api.live()).toBe(0);
  });

  it('without cert_role the server tries every trusted certificate role', async () => {
    const a = await fetchKey(PATH, cert({ login: { method: 'cert', mount: 'cert', role: undefined } }));
    expect(a.kind).toBe('key');
  });

  it('an expired client certificate is refused by the login (HTTP 400) and nothing is read', async () => {
    const a = await fetchKey(PATH, cert({ clientCert: ca.expiredClient.cert, clientKey: ca.expiredClient.key }));
    expect(a).toMatchObject({ kind: 'unavailable', reason: expect.stringMatching(/^TLS certificate login refused at \/v1\/auth\/cert\/login \(HTTP 400\) — check client_cert: expired/) });
    expect(api.log).toEqual(['POST /v1/auth/cert/login 400']);
  });

  it('a certificate role that does not exist is refused', async () => {
    const a = await fetchKey(PATH, cert({ login: { method: 'cert', mount: 'cert', role: 'nope' } }));
    expect(a).toMatchObject({ kind: 'unavailable', reason: expect.stringMatching(/^TLS certificate login refused .*HTTP 400/) });
  });

  it('the client certificate alone does not authorize a KV read (Vault wants a token)', async () => {
    const a = await fetchKey(PATH, cert({ login: undefined }));
    expect(a).toMatchObject({ kind: 'unavailable', reason: expect.stringMatching(/HTTP 403/) });
  });
});
