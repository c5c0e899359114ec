// https: key source against a real node:https server with a test CA made by openssl: the key byte-exact,
// token and client-certificate auth checked by the server, and TLS verification that cannot be bypassed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpsSource } from '../../../src/keys/https.js';
import { hasOpenssl, makeTestCa, type TestCa } from '../../helpers/test-ca.js';
import { FAST, keyContext, kvReply, serverConfig, startHttpsServer, TOKEN, tokenFile, type TestServer } from '../../helpers/https-server.js';

const ok = hasOpenssl();
if (!ok) console.warn('SKIPPED https key source tests: openssl not installed (apt-get install openssl)');

const KEY = '  pass phrase with spaces\nand a newline inside\n';

describe.skipIf(!ok)('https: key source (real TLS)', () => {
  let ca: TestCa;
  let server: TestServer;
  beforeAll(async () => {
    ca = makeTestCa();
    server = await startHttpsServer({ cert: ca.server.certPem, key: ca.server.keyPem }, (req, res) => {
      if (req.headers['x-vault-token'] !== TOKEN) {
        res.writeHead(403, { 'content-type': 'application/json' }).end('{"errors":["permission denied"]}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(kvReply({ passphrase: KEY, raw_b64: Buffer.from([0, 1, 2, 255, 10]).toString('base64'), n: 5 }));
    });
  });
  afterAll(async () => {
    await server?.close();
    ca?.cleanup();
  });

  it('fetches the field byte-exact with a token from a root-only file (one trailing newline stripped)', async () => {
    const src = new HttpsSource(server.url('/v1/secret/data/hosts/kvm1?version=2'), serverConfig(ca, { tokenFile: tokenFile(ca) }), FAST);
    expect(src.label).toBe(`https://127.0.0.1:${server.port}/v1/secret/data/hosts/kvm1`.replace(/^/, 'https:'));
    const a = await src.get(keyContext());
    expect(a.kind).toBe('key');
    if (a.kind !== 'key') return;
    expect(a.key.equals(Buffer.from(KEY, 'utf8'))).toBe(true);
    expect(server.seen.at(-1)?.headers['x-vault-token']).toBe(TOKEN);
    expect(server.seen.at(-1)?.url).toBe('/v1/secret/data/hosts/kvm1?version=2');
  });

  it('decodes a *_b64 field to raw bytes', async () => {
    const a = await new HttpsSource(server.url('/v1/secret/data/x'), serverConfig(ca, { tokenFile: tokenFile(ca), field: 'raw_b64' }), FAST).get(keyContext());
    expect(a.kind === 'key' && [...a.key]).toEqual([0, 1, 2, 255, 10]);
  });

  it('reads the token from a systemd credential', async () => {
    const a = await new HttpsSource(server.url('/v1/secret/data/x'), serverConfig(ca, { tokenCredential: 'vault-token' }), FAST).get(
      keyContext(3000, undefined, dirname(tokenFileNamed(ca, 'vault-token'))),
    );
    expect(a.kind).toBe('key');
  });

  it('refuses a group-readable token file without contacting the server', async () => {
    const before = server.seen.length;
    const a = await new HttpsSource(server.url('/v1/secret/data/x'), serverConfig(ca, { tokenFile: tokenFile(ca, `${TOKEN}\n`, 0o640) }), FAST).get(keyContext());
    expect(a).toMatchObject({ kind: 'unavailable', reason: expect.stringMatching(/^token: .*mode 0640.*chmod 0400/) });
    expect(server.seen.length).toBe(before);
  });

  it('HTTP 403 is final: one request, a reason naming the path', async () => {
    const before = server.seen.length;
    const t0 = Date.now();
    const a = await new HttpsSource(server.url('/v1/secret/data/hosts/kvm1'), serverConfig(ca, { tokenFile: tokenFile(ca, 'wrong-token\n') }), FAST).get(keyContext());
    expect(a).toMatchObject({ kind: 'unavailable', reason: "key server refused the token (HTTP 403) — check the token's policy for /v1/secret/data/hosts/kvm1" });
    expect(server.seen.length - before).toBe(1);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('missing field and non-KV replies are clear failures', async () => {
    const a = await new HttpsSource(server.url('/v1/secret/data/x'), serverConfig(ca, { tokenFile: tokenFile(ca), field: 'nope' }), FAST).get(keyContext());
    expect(a).toMatchObject({ kind: 'unavailable', reason: "secret has no field 'nope' (fields: passphrase, raw_b64, n) — set field in [key_server]" });
    const b = await new HttpsSource(server.url('/v1/secret/data/x'), serverConfig(ca, { tokenFile: tokenFile(ca), field: 'n' }), FAST).get(keyContext());
    expect(b).toMatchObject({ kind: 'unavailable', reason: "secret field 'n' is a number, not a string" });
  });

  it('refuses a server whose certificate comes from another CA', async () => {
    const foreign = await startHttpsServer({ cert: ca.foreignServer.certPem, key: ca.foreignServer.keyPem }, (_q, r) => r.end(kvReply({ passphrase: 'x' })));
    try {
      const a = await new HttpsSource(foreign.url('/v1/secret/data/x'), serverConfig(ca), FAST).get(keyContext());
      expect(a).toMatchObject({ kind: 'unavailable', reason: expect.stringMatching(/^TLS: certificate .*UNABLE_TO_VERIFY_LEAF_SIGNATURE/) });
      expect(foreign.seen).toHaveLength(0); // the request never got past the handshake
    } finally {
      await foreign.close();
    }
  });

  it('refuses an expired server certificate', async () => {
    const expired = await startHttpsServer({ cert: ca.expiredServer.certPem, key: ca.expiredServer.keyPem }, (_q, r) => r.end(kvReply({ passphrase: 'x' })));
    try {
      const a = await new HttpsSource(expired.url('/v1/secret/data/x'), serverConfig(ca), FAST).get(keyContext());
      expect(a).toMatchObject({ kind: 'unavailable', reason: expect.stringMatching(/CERT_HAS_EXPIRED/) });
      expect(expired.seen).toHaveLength(0);
    } finally {
      await expired.close();
    }
  });

  it('checks the host name: a certificate of the right CA for another name is refused', async () => {
    const other = await startHttpsServer({ cert: ca.wrongNameServer.certPem, key: ca.wrongNameServer.keyPem }, (_q, r) => r.end(kvReply({ passphrase: 'x' })));
    try {
      const a = await new HttpsSource(other.url('/v1/secret/data/x'), serverConfig(ca), FAST).get(keyContext());
      expect(a).toMatchObject({ kind: 'unavailable', reason: expect.stringMatching(/^TLS: .*ERR_TLS_CERT_ALTNAME_INVALID/) });
      expect(other.seen).toHaveLength(0);
    } finally {
      await other.close();
    }
  });

  it('refuses plain http:// URLs', async () => {
    const a = await new HttpsSource(`http://127.0.0.1:${server.port}/v1/secret/data/x`, serverConfig(ca), FAST).get(keyContext());
    expect(a).toMatchObject({ kind: 'unavailable', reason: expect.stringMatching(/must start with https:\/\//) });
  });

  describe('client certificate', () => {
    let mtls: TestServer;
    beforeAll(async () => {
      mtls = await startHttpsServer({ cert: ca.server.certPem, key: ca.server.keyPem, clientCa: ca.caPem }, (req, res) => {
        res.end(kvReply({ passphrase: `for ${(req.socket as import('node:tls').TLSSocket).getPeerCertificate().subject.CN}` }));
      });
    });
    afterAll(() => mtls?.close());

    it('authenticates with the configured client certificate (the server verifies it)', async () => {
      const cfg = serverConfig(ca, { clientCert: ca.client.cert, clientKey: ca.client.key });
      const a = await new HttpsSource(mtls.url('/v1/kv/data/h'), cfg, FAST).get(keyContext());
      expect(a.kind === 'key' && a.key.toString()).toBe('for client');
      expect(mtls.seen.at(-1)?.clientCn).toBe('client');
    });

    it('without a client certificate the handshake fails and the source is unavailable', async () => {
      const before = mtls.seen.length;
      const a = await new HttpsSource(mtls.url('/v1/kv/data/h'), serverConfig(ca), FAST).get(keyContext(1500));
      expect(a.kind).toBe('unavailable');
      expect(mtls.seen.length).toBe(before);
    });
  });
});

function tokenFileNamed(ca: TestCa, name: string): string {
  const dir = join(ca.dir, 'creds');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), `${TOKEN}\n`, { mode: 0o600 });
  return join(dir, name);
}
