// The lab's HTTPS key server (issue 5, the `https:` source): a minimal Vault/OpenBao KV v2 read endpoint on the
// host's loopback, with the certificate, token and secret customize.sh made for this base (base dir/keyserver).
// The VM reaches it at https://10.0.2.101 through a restricted user-mode guestfwd (host.mjs).
import { existsSync, readFileSync } from 'node:fs';
import { vaultApi } from './vault-api.mjs';
import { createServer } from 'node:https';
import { join } from 'node:path';

export const KEYSERVER_HOST = '10.0.2.101';
/** The one secret it serves: KV v2 mount "secret", path "lab/cr_keysrv", field "passphrase". */
export const KEYSERVER_PATH = '/v1/secret/data/lab/cr_keysrv';

/**
 * Resolves with { port, stop, requests } — `requests` lists "METHOD path status" per request (never a token or
 * the secret), so a run can show what the VM asked for.
 */
export async function startKeyServer(dir) {
  const token = readFileSync(join(dir, 'token'), 'latin1');
  const secret = readFileSync(join(dir, 'secret'), 'utf8');
  // The documented Vault API (vault-api.mjs): the static token reads the one path; AppRole and cert logins
  // are there for configurations that use them (role files next to the token when present).
  const approle = existsSync(join(dir, 'role_id'))
    ? { roles: { lab: { roleId: readFileSync(join(dir, 'role_id'), 'latin1').trim(), secretIds: [readFileSync(join(dir, 'secret_id'), 'latin1').trim()], paths: [KEYSERVER_PATH] } } }
    : undefined;
  const api = vaultApi({ tokens: { [token]: [KEYSERVER_PATH] }, approle, kv2: { mount: 'secret', secrets: { 'lab/cr_keysrv': { passphrase: secret } } } });
  const requests = api.log;
  const server = createServer({ cert: readFileSync(join(dir, 'server.pem')), key: readFileSync(join(dir, 'server.key')) }, api.handle);
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  const stop = () => new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  return { port, stop, requests };
}
