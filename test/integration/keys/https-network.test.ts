// https: key source when the network or the server misbehaves: 5xx retried within network_timeout, refused
// connections retried until the server comes up, black holes cut by the deadlines, bodies cut off, oversized
// or not JSON. Every failure is 'unavailable' with a reason; nothing hangs.
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpsSource } from '../../../src/keys/https.js';
import { hasOpenssl, makeTestCa, type TestCa } from '../../helpers/test-ca.js';
import { FAST, freePort, keyContext, kvReply, serverConfig, startBlackHole, startHttpsServer, type Handler, type TestServer } from '../../helpers/https-server.js';

const ok = hasOpenssl();
if (!ok) console.warn('SKIPPED https key source network tests: openssl not installed (apt-get install openssl)');

describe.skipIf(!ok)('https: key source, network and server failures', () => {
  let ca: TestCa;
  const servers: { close(): Promise<void> }[] = [];
  beforeAll(() => {
    ca = makeTestCa();
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    ca?.cleanup();
  });
  const serve = async (handler: Handler, port?: number): Promise<TestServer> => {
    const s = await startHttpsServer({ cert: ca.server.certPem, key: ca.server.keyPem, port }, handler);
    servers.push(s);
    return s;
  };

  it('HTTP 500 then 200: retried within the window', async () => {
    let n = 0;
    const s = await serve((_q, r) => (++n <= 2 ? r.writeHead(500).end('{"errors":["sealed"]}') : r.end(kvReply({ passphrase: 'after-500' }))));
    const a = await new HttpsSource(s.url('/v1/kv/data/a'), serverConfig(ca), FAST).get(keyContext(5000));
    expect(a.kind === 'key' && a.key.toString()).toBe('after-500');
    expect(s.seen).toHaveLength(3);
  });

  it('HTTP 500 forever: gives up at network_timeout with the last error', async () => {
    const s = await serve((_q, r) => r.writeHead(503).end());
    const t0 = Date.now();
    const a = await new HttpsSource(s.url('/v1/kv/data/a'), serverConfig(ca), FAST).get(keyContext(1500));
    const took = Date.now() - t0;
    expect(a).toMatchObject({ kind: 'unavailable', reason: expect.stringMatching(/^gave up after \d+ attempts in 1500 ms \(network_timeout\); last: HTTP 503$/) });
    expect(s.seen.length).toBeGreaterThan(2);
    expect(took).toBeLessThan(1500 + 500);
  });

  it('connection refused, then the server comes up on that port: the retry gets the key', async () => {
    const port = await freePort();
    const url = `https://127.0.0.1:${port}/v1/kv/data/late`;
    const pending = new HttpsSource(url, serverConfig(ca), FAST).get(keyContext(5000));
    await new Promise((r) => setTimeout(r, 400));
    await serve((_q, r) => r.end(kvReply({ passphrase: 'late-key' })), port);
    const a = await pending;
    expect(a.kind === 'key' && a.key.toString()).toBe('late-key');
  });

  it('connection refused forever: unavailable after network_timeout, naming ECONNREFUSED', async () => {
    const port = await freePort();
    const a = await new HttpsSource(`https://127.0.0.1:${port}/v1/kv/data/x`, serverConfig(ca), FAST).get(keyContext(800));
    expect(a).toMatchObject({ kind: 'unavailable', reason: expect.stringMatching(/gave up after .*ECONNREFUSED/) });
  });

  it('a black hole (TCP accepted, no TLS): cut by the connect timeout, retried, then given up', async () => {
    const hole = await startBlackHole();
    servers.push(hole);
    const t0 = Date.now();
    const a = await new HttpsSource(`https://127.0.0.1:${hole.port}/v1/kv/data/x`, serverConfig(ca, { connectTimeoutMs: 300 }), FAST).get(keyContext(1200));
    expect(a).toMatchObject({ kind: 'unavailable', reason: expect.stringMatching(/no TLS connection within 300 ms/) });
    expect(hole.accepted()).toBeGreaterThanOrEqual(2);
    expect(Date.now() - t0).toBeLessThan(2500);
  });

  it('a server that never answers the request: cut by the total timeout', async () => {
    const s = await serve(() => undefined);
    const t0 = Date.now();
    const a = await new HttpsSource(s.url('/v1/kv/data/x'), serverConfig(ca, { timeoutMs: 400 }), FAST).get(keyContext(600));
    expect(a).toMatchObject({ kind: 'unavailable', reason: expect.stringMatching(/no complete reply within \d+ ms/) });
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('a truncated body (Content-Length larger than sent, then close) is not taken as a key', async () => {
    const body = kvReply({ passphrase: 'never-whole' });
    const s = await serve((req, res) => {
      res.writeHead(200, { 'content-length': String(body.length + 50) });
      res.write(body, () => req.socket.destroy());
    });
    const a = await new HttpsSource(s.url('/v1/kv/data/x'), serverConfig(ca), FAST).get(keyContext(700));
    expect(a).toMatchObject({ kind: 'unavailable', reason: expect.stringMatching(/reply cut off after \d+ bytes/) });
  });

  it('an oversized body is refused: by Content-Length, and while streaming without one', async () => {
    const big = kvReply({ passphrase: 'x'.repeat(5000) });
    const s1 = await serve((_q, r) => r.writeHead(200, { 'content-length': String(big.length) }).end(big));
    const a = await new HttpsSource(s1.url('/v1/kv/data/x'), serverConfig(ca, { maxBytes: 1024 }), FAST).get(keyContext());
    expect(a).toMatchObject({ kind: 'unavailable', reason: `reply larger than 1024 bytes (Content-Length ${big.length})` });
    const s2 = await serve((_q, r) => {
      r.writeHead(200); // chunked: no Content-Length
      for (let i = 0; i < 10; i++) r.write(big.slice(i * 500, (i + 1) * 500));
      r.end(big.slice(5000));
    });
    const b = await new HttpsSource(s2.url('/v1/kv/data/x'), serverConfig(ca, { maxBytes: 1024 }), FAST).get(keyContext());
    expect(b).toMatchObject({ kind: 'unavailable', reason: 'reply larger than 1024 bytes' });
    expect(s1.seen).toHaveLength(1); // final, not retried
  });

  it('invalid JSON: a clear reason that does not quote the body', async () => {
    const s = await serve((_q, r) => r.end('<html>captive portal secret-ish</html>'));
    const a = await new HttpsSource(s.url('/v1/kv/data/x'), serverConfig(ca), FAST).get(keyContext());
    expect(a).toMatchObject({ kind: 'unavailable', reason: expect.stringMatching(/^reply is not valid JSON \(\d+ bytes\)/) });
    expect(JSON.stringify(a)).not.toContain('captive');
  });

  it('cancellation (daemon stopping) ends a waiting retry loop at once', async () => {
    const port = await freePort();
    const ac = new AbortController();
    const pending = new HttpsSource(`https://127.0.0.1:${port}/v1/kv/data/x`, serverConfig(ca), { initialBackoffMs: 5000 }).get(keyContext(60_000, ac.signal));
    setTimeout(() => ac.abort(), 200);
    const t0 = Date.now();
    expect(await pending).toMatchObject({ kind: 'unavailable', reason: 'cancelled' });
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('(control) the test server really speaks TLS with the test CA', async () => {
    const s = await serve((_q, r) => r.end('x'));
    const sock = connect({ host: '127.0.0.1', port: s.port, ca: ca.caPem });
    await new Promise<void>((res, rej) => sock.once('secureConnect', res).once('error', rej));
    expect(sock.authorized).toBe(true);
    sock.destroy();
  });
});
