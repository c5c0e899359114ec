// Real local servers for the key-server source: an HTTPS server on 127.0.0.1 (random port) whose handler the
// test scripts, optionally demanding a client certificate; and a TCP "black hole" that accepts connections
// and never says a word.
import { createServer as createHttpsServer, type Server } from 'node:https';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyServerConfig } from '../../src/config/types.js';
import type { KeyContext } from '../../src/keys/types.js';
import { volume } from './config.js';
import type { TestCa } from './test-ca.js';

export interface TestServerOptions {
  cert: Buffer;
  key: Buffer;
  /** Demand and verify a client certificate from this CA. */
  clientCa?: Buffer;
  /** Fixed port (e.g. to come up later on a port that refused before). */
  port?: number;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface TestServer {
  port: number;
  url(path: string): string;
  /** Requests seen (method, url, headers, whether a client certificate was presented and verified). */
  seen: { url: string; headers: IncomingMessage['headers']; clientCn: string | undefined }[];
  close(): Promise<void>;
}

export async function startHttpsServer(o: TestServerOptions, handler: Handler): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const seen: TestServer['seen'] = [];
  const server: Server = createHttpsServer(
    { cert: o.cert, key: o.key, ca: o.clientCa, requestCert: Boolean(o.clientCa), rejectUnauthorized: Boolean(o.clientCa) },
    (req, res) => {
      const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate?.();
      seen.push({ url: req.url ?? '', headers: req.headers, clientCn: peer && 'subject' in peer ? String(peer.subject?.CN ?? '') || undefined : undefined });
      handler(req, res);
    },
  );
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => server.listen(o.port ?? 0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (path) => `https://127.0.0.1:${port}${path}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => r());
      }),
  };
}

/** Accepts TCP connections and never answers (not even the TLS handshake). */
export async function startBlackHole(): Promise<{ port: number; accepted: () => number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createTcpServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((r) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => r());
      }),
  };
}

/** A KV v2 read reply body. */
export function kvReply(data: Record<string, unknown>): string {
  return JSON.stringify({ request_id: 'r', lease_id: '', renewable: false, lease_duration: 0, data: { data, metadata: { created_time: '2024-01-01T00:00:00Z', version: 1 } } });
}

/** A port that refuses connections right now (bound, then released). */
export async function freePort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

// Shared setup for the https: key source tests: a root-only token file, a KeyServerConfig and a KeyContext.
export const TOKEN = 'hvs.CAESIJtest-token-0123456789abcdef';

export function tokenFile(ca: TestCa, content = `${TOKEN}\n`, mode = 0o600): string {
  const path = join(ca.dir, `token-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, content, { mode });
  chmodSync(path, mode);
  return path;
}

export function serverConfig(ca: TestCa, over: Partial<KeyServerConfig> = {}): KeyServerConfig {
  return { ca: ca.ca, tokenFile: undefined, tokenCredential: undefined, clientCert: undefined, clientKey: undefined, field: 'passphrase', connectTimeoutMs: 2000, timeoutMs: 3000, maxBytes: 65536, ...over };
}

export function keyContext(networkTimeoutMs = 3000, signal = new AbortController().signal, credentialsDir?: string): KeyContext {
  return { volume: volume('cr_https', { networkTimeoutMs }), device: '/dev/null', guests: [], signal, credentialsDir };
}

/** Fast backoff for tests: 50 ms doubling to 400 ms. */
export const FAST = { initialBackoffMs: 50, maxBackoffMs: 400 };
