// A small emulation of the Vault/OpenBao HTTP API, as documented, for the https: key source: enough to test
// every login cryptvm does against the exact request and reply shapes. Used by the lab key server
// (lab/keyserver.mjs) and by the integration tests (test/integration/keys/https-login.test.ts).
//   POST /v1/auth/<approle mount>/login  {"role_id","secret_id"} → 200 {"auth":{"client_token",…}}
//                                          wrong or expired secret_id → 400 {"errors":["invalid role or secret ID"]}
//   POST /v1/auth/<cert mount>/login     {"name"?} over TLS with a client certificate the role's CA issued,
//                                          valid now → 200 auth; else 400 {"errors":["invalid certificate or no client certificate supplied"]}
//   POST /v1/auth/token/revoke-self        X-Vault-Token → 204
//   GET  /v1/<kv2 mount>/data/<path>       → {"data":{"data":{…},"metadata":{…}}}
//   GET  /v1/<kv1 mount>/<path>            → {"data":{…}}
//   X-Vault-Namespace: a namespace's auth mounts and secrets are only found with its header.
// Like Vault's listener (tls_require_and_verify_client_cert = false), the TLS server asks for a client
// certificate but does not refuse the handshake without one: the cert auth method judges it.
import { randomBytes, timingSafeEqual, X509Certificate } from 'node:crypto';

const json = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const errors = (res, status, ...msgs) => json(res, status, { errors: msgs });
const same = (a, b) => {
  const x = Buffer.from(String(a ?? ''));
  const y = Buffer.from(String(b ?? ''));
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * spec: {
 *   namespace?: string,
 *   kv2?: { mount, secrets: { [path]: {field: value} } }, kv1?: { mount, secrets: {...} },
 *   approle?: { mount = 'approle', roles: { [name]: { roleId, secretIds: string[], expiredSecretIds?: string[], paths: string[] } } },
 *   cert?: { mount = 'cert', roles: { [name]: { ca: Buffer|string (PEM), paths: string[] } } },
 *   tokens?: { [token]: string[] }   // static tokens and the API paths they may read
 * }
 * Returns { handle(req, res), log: string[] (method path status: never a token or secret), live(): live login tokens }.
 */
export function vaultApi(spec) {
  const tokens = new Map(Object.entries(spec.tokens ?? {}).map(([t, paths]) => [t, { paths, login: false }]));
  const log = [];
  const ns = spec.namespace;
  const approleMount = spec.approle?.mount ?? 'approle';
  const certMount = spec.cert?.mount ?? 'cert';

  const issue = (paths, meta) => {
    const token = `hvs.${randomBytes(18).toString('base64url')}`;
    tokens.set(token, { paths, login: true });
    return {
      request_id: randomBytes(8).toString('hex'), lease_id: '', renewable: false, lease_duration: 0, data: null, wrap_info: null, warnings: null,
      auth: {
        client_token: token, accessor: randomBytes(12).toString('base64url'), policies: ['default', 'cryptvm'], token_policies: ['default', 'cryptvm'],
        metadata: meta, lease_duration: 3600, renewable: true, entity_id: '', token_type: 'service', orphan: true,
      },
    };
  };

  const readBody = (req) => new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text === '' ? {} : JSON.parse(text));
      } catch {
        resolve(undefined);
      }
    });
  });

  async function route(req, res) {
    const url = new URL(req.url, 'https://vault');
    const path = url.pathname;
    const nsOk = ns === undefined ? req.headers['x-vault-namespace'] === undefined : req.headers['x-vault-namespace'] === ns;
    if (req.method === 'POST' && path === '/v1/auth/token/revoke-self') {
      const t = req.headers['x-vault-token'];
      if (!tokens.has(t)) return errors(res, 403, 'permission denied');
      tokens.delete(t);
      res.writeHead(204).end();
      return 204;
    }
    if (req.method === 'POST' && spec.approle && path === `/v1/auth/${approleMount}/login`) {
      if (!nsOk) return errors(res, 404, 'no handler for route "auth/approle/login". route entry not found.');
      const body = await readBody(req);
      if (!body || typeof body.role_id !== 'string') return errors(res, 400, 'missing role_id');
      const role = Object.entries(spec.approle.roles).find(([, r]) => same(r.roleId, body.role_id));
      if (!role || !role[1].secretIds.some((s) => same(s, body.secret_id))) return errors(res, 400, 'invalid role or secret ID');
      return json(res, 200, issue(role[1].paths, { role_name: role[0] }));
    }
    if (req.method === 'POST' && spec.cert && path === `/v1/auth/${certMount}/login`) {
      if (!nsOk) return errors(res, 404, 'no handler for route "auth/cert/login". route entry not found.');
      const body = await readBody(req);
      if (!body) return errors(res, 400, 'failed to parse JSON input');
      const raw = req.socket.getPeerCertificate?.()?.raw;
      if (!raw) return errors(res, 400, 'invalid certificate or no client certificate supplied');
      const cert = new X509Certificate(raw);
      const now = Date.now();
      const valid = now >= Date.parse(cert.validFrom) && now <= Date.parse(cert.validTo);
      const roles = Object.entries(spec.cert.roles).filter(([name]) => body.name === undefined || body.name === name);
      const match = valid && roles.find(([, r]) => cert.verify(new X509Certificate(r.ca).publicKey));
      if (!match) return errors(res, 400, 'invalid certificate or no client certificate supplied');
      return json(res, 200, issue(match[1].paths, { cert_name: match[0], common_name: cert.subject.replace(/^.*CN=/s, '') }));
    }
    if (req.method === 'GET') {
      const t = tokens.get(req.headers['x-vault-token']);
      if (!t || !nsOk) return errors(res, 403, 'permission denied');
      for (const [kv, version] of [[spec.kv2, 2], [spec.kv1, 1]]) {
        if (!kv) continue;
        const prefix = version === 2 ? `/v1/${kv.mount}/data/` : `/v1/${kv.mount}/`;
        if (!path.startsWith(prefix)) continue;
        if (!t.paths.includes(path)) return errors(res, 403, 'permission denied');
        const data = kv.secrets[path.slice(prefix.length)];
        if (!data) return errors(res, 404);
        const base = { request_id: randomBytes(8).toString('hex'), lease_id: '', renewable: false, lease_duration: version === 1 ? 2764800 : 0, wrap_info: null, warnings: null, auth: null };
        return json(res, 200, version === 2 ? { ...base, data: { data, metadata: { created_time: '2026-01-01T00:00:00Z', deletion_time: '', destroyed: false, version: 1 } } } : { ...base, data });
      }
      return errors(res, 403, 'permission denied');
    }
    return errors(res, 404, `no handler for route "${path.slice(4)}". route entry not found.`);
  }

  return {
    log,
    live: () => [...tokens.values()].filter((t) => t.login).length,
    handle(req, res) {
      route(req, res).then(
        (status) => log.push(`${req.method} ${new URL(req.url, 'https://vault').pathname} ${status ?? res.statusCode}`),
        () => errors(res, 500, 'internal error'),
      );
    },
  };
}
