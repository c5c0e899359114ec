// One strict HTTPS request (a GET, or a login POST) for the key-server source: TLS verified against the given CA bundle ONLY (passing `ca`
// replaces Node's built-in roots), the host name/IP checked against the certificate, no switch to turn
// verification off, no redirects followed, a fresh connection each time (agent: false: nothing pooled that
// could outlive the request). Deadlines: `connectTimeoutMs` covers TCP connect + TLS handshake, `timeoutMs`
// the whole exchange. The body is capped at `maxBytes` and returned as one Buffer the caller owns and wipes;
// the chunks it was assembled from are zeroed.
import { request } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { secretBuffer, wipe } from '../../secret.js';

export interface HttpsGetOptions {
  ca: Buffer;
  /** Default GET; POST for logins (body: JSON the caller owns and wipes). */
  method?: 'GET' | 'POST';
  body?: Buffer;
  /** Client certificate authentication (PEM). */
  cert?: Buffer;
  key?: Buffer;
  /** Header values are JS strings in Node's http API: callers keep them short-lived. */
  headers?: Record<string, string>;
  connectTimeoutMs: number;
  timeoutMs: number;
  maxBytes: number;
  signal?: AbortSignal;
}

export interface HttpsReply {
  status: number;
  /** Owned by the caller, who must wipe it. */
  body: Buffer;
}

/** Why a GET failed. `retry`: worth trying again while the network comes up (refused, timed out, 5xx …). */
export class HttpsFailure extends Error {
  override name = 'HttpsFailure';
  constructor(
    message: string,
    readonly kind: 'network' | 'connect-timeout' | 'timeout' | 'tls' | 'too-large' | 'truncated' | 'aborted',
    readonly retry: boolean,
  ) {
    super(message);
  }
}

/** Errors while the network or the server is still coming up: retried within the source's window. */
const TRANSIENT = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE', 'ENOTFOUND']);

export function httpsGet(url: URL, o: HttpsGetOptions): Promise<HttpsReply> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let settled = false;
    let connectTimer: NodeJS.Timeout | undefined;
    const finish = (err: HttpsFailure | undefined, reply?: HttpsReply): void => {
      if (settled) return;
      settled = true;
      clearTimeout(totalTimer);
      clearTimeout(connectTimer);
      o.signal?.removeEventListener('abort', onAbort);
      if (err) {
        chunks.forEach(wipe);
        req.destroy();
        reject(err);
      } else resolve(reply!);
    };
    const onAbort = (): void => finish(new HttpsFailure('cancelled', 'aborted', false));
    const totalTimer = setTimeout(() => finish(new HttpsFailure(`no complete reply within ${o.timeoutMs} ms`, 'timeout', true)), o.timeoutMs);

    const req = request(url, {
      method: o.method ?? 'GET',
      agent: false,
      ca: o.ca,
      cert: o.cert,
      key: o.key,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      headers: { Accept: 'application/json', ...(o.body ? { 'Content-Type': 'application/json', 'Content-Length': String(o.body.length) } : {}), ...o.headers },
    });
    req.on('socket', (socket: TLSSocket) => {
      connectTimer = setTimeout(
        () => finish(new HttpsFailure(`no TLS connection within ${o.connectTimeoutMs} ms (connect + handshake)`, 'connect-timeout', true)),
        o.connectTimeoutMs,
      );
      socket.once('secureConnect', () => clearTimeout(connectTimer));
    });
    req.on('error', (e) => finish(classify(e as NodeJS.ErrnoException)));
    req.on('response', (res: IncomingMessage) => {
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > o.maxBytes) {
        return finish(new HttpsFailure(`reply larger than ${o.maxBytes} bytes (Content-Length ${declared})`, 'too-large', false));
      }
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size > o.maxBytes) finish(new HttpsFailure(`reply larger than ${o.maxBytes} bytes`, 'too-large', false));
      });
      res.on('error', () => undefined); // reported through 'close' with complete === false
      res.on('close', () => {
        if (!res.complete) return finish(new HttpsFailure(`reply cut off after ${size} bytes (connection closed early)`, 'truncated', true));
        const body = secretBuffer(size);
        let at = 0;
        for (const c of chunks) at += c.copy(body, at);
        chunks.forEach(wipe);
        finish(undefined, { status: res.statusCode ?? 0, body });
      });
    });
    if (o.signal?.aborted) return onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    req.end(o.body);
  });
}

function classify(e: NodeJS.ErrnoException): HttpsFailure {
  const code = e.code ?? '';
  // TLS verification failures (UNABLE_TO_VERIFY_LEAF_SIGNATURE, CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID …)
  // are configuration problems: retrying will not fix them.
  if (/CERT|SELF_SIGNED|UNABLE_TO|ALTNAME|ERR_SSL|ERR_TLS|EPROTO/.test(code)) {
    return new HttpsFailure(`TLS: certificate or handshake rejected (${code}: ${e.message})`, 'tls', false);
  }
  if (TRANSIENT.has(code)) return new HttpsFailure(`${code}: ${e.message}`, 'network', true);
  return new HttpsFailure(`${code || 'error'}: ${e.message}`, 'network', false);
}
