// The lab's HTTPS key server (issue 5, the `https:` source): a minimal Vault/OpenBao KV v2 read endpoint on the
// host's loopback, with the certificate, token and secret customize.sh made for this base (base dir/keyserver).
// The VM reaches it at https://10.0.2.101 through a restricted user-mode guestfwd (host.mjs).
import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { join } from 'node:path';

export const KEYSERVER_HOST = '10.0.2.101';
/** The one secret it serves: KV v2 mount "secret", path "lab/cr_keysrv", field "passphrase". */
export const KEYSERVER_PATH = '/v1/secret/data/lab/cr_keysrv';

const json = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

/**
 * Resolves with { port, stop, requests } — `requests` lists "METHOD path status" per request (never a token or
 * the secret), so a run can show what the VM asked for.
 */
export async function startKeyServer(dir) {
  const token = readFileSync(join(dir, 'token'));
  const secret = readFileSync(join(dir, 'secret'), 'utf8');
  const requests = [];
  const server = createServer({ cert: readFileSync(join(dir, 'server.pem')), key: readFileSync(join(dir, 'server.key')) },
    (req, res) => {
      const given = Buffer.from(String(req.headers['x-vault-token'] ?? ''));
      const authorized = given.length === token.length && timingSafeEqual(given, token);
      let status;
      if (!authorized) json(res, (status = 403), { errors: ['permission denied'] });
      else if (req.method !== 'GET' || req.url !== KEYSERVER_PATH) json(res, (status = 404), { errors: [] });
      else json(res, (status = 200), { data: { data: { passphrase: secret }, metadata: { version: 1 } } });
      requests.push(`${req.method} ${req.url} ${status}`);
    });
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
