// https:URL — a key from a Vault/OpenBao KV v2 style key server: `GET <url>` (the full
// …/v1/<mount>/data/<path>) answers {"data":{"data":{"<field>":"<value>"},"metadata":{…}}}.
// The key is the field's value as its UTF-8 bytes, byte-exact (spaces and newlines inside are part of it).
// Exception: a field whose name ends in "_b64" holds base64, decoded to raw bytes (for binary key files).
// Auth: X-Vault-Token from [key_server] token_file (root-only) or a systemd credential, and/or a TLS client
// certificate; or a login first (auth = "approle" | "cert", vault-login.ts) whose token serves this one read
// and is revoked right after. KV v1 with kv_version = 1; X-Vault-Namespace with namespace.
// TLS, deadlines and the size cap live in adapters/https-client.ts.
//
// Secret hygiene, honestly: the token and body are read into Buffers and wiped, and the key is taken out of
// the body without ever becoming a JS string (adapters/https/kv.ts). But Node's http API takes header values
// (the token) as strings, and Node's TLS and HTTP layers keep the decrypted reply in buffers of their own;
// those cannot be zeroed from here. We keep the token string to the smallest scope (one attempt) and never
// log, return or throw it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pause, systemClock, type Clock } from '../clock.js';
import type { KeyServerConfig, VaultLogin } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { ev } from '../log/events.js';
import { httpsGet, HttpsFailure, type HttpsReply } from '../adapters/https/client.js';
import { wipe } from '../secret.js';
import { readSecretFile } from './read-secret.js';
import { extractField } from '../adapters/https/kv.js';
import { Backoff } from './network.js';
import type { KeyAttempt, KeyContext, KeySource } from './types.js';
import { loginBody, loginPath, loginToken, readSecretRef, REVOKE_SELF_PATH, type SecretBytes } from './vault-login.js';

export interface HttpsSourceDeps {
  log?: Logger;
  /** The clock of the network_timeout window and the retries (default: the system's); socket timeouts stay real. */
  clock?: Clock;
  /** Backoff between retries; default 500 ms doubling to 5 s. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

type Step<T> = { ok: true; value: T } | { ok: false; reason: string };

export class HttpsSource implements KeySource {
  readonly label: string;
  private readonly url: URL;
  private readonly where: string;
  private readonly clock: Clock;

  constructor(url: string, private readonly server: KeyServerConfig, private readonly deps: HttpsSourceDeps = {}) {
    this.url = new URL(url);
    // Neither the query nor user:password@ belongs in labels, logs or reasons.
    this.where = `${this.url.origin}${this.url.pathname}`;
    this.label = `https:${this.where}`;
    this.clock = deps.clock ?? systemClock;
  }

  async get(ctx: KeyContext): Promise<KeyAttempt> {
    const fail = (reason: string): KeyAttempt => ({ kind: 'unavailable', source: this.label, reason });
    if (this.url.protocol !== 'https:') return fail(`${this.url.protocol} is not allowed: the key server URL must start with https://`);
    const creds = await this.credentials(ctx);
    if (!creds.ok) return fail(creds.reason);
    const c = creds.value;
    const deadline = this.clock.now() + ctx.volume.networkTimeoutMs;
    try {
      const login = this.server.login;
      if (login) {
        const t = await this.login(ctx, c, login, deadline);
        if (!t.ok) return fail(t.reason);
        c.token = t.value;
      }
      try {
        const reply = await this.withRetry(ctx, deadline, (ms) => this.once(ctx, c, ms));
        if (!reply.ok) return fail(reply.reason);
        try {
          const key = this.interpret(reply.value);
          return key.ok ? { kind: 'key', key: key.value, source: this.label } : fail(key.reason);
        } finally {
          wipe(reply.value.body);
        }
      } finally {
        // A login's token served this one read: revoke it now rather than leave it alive for its TTL.
        if (login) await this.revoke(ctx, c);
      }
    } finally {
      wipe(c.token);
      wipe(c.key);
    }
  }

  /** Logs in (AppRole or TLS certificate) within the source's window; the token is the caller's to wipe. */
  private async login(ctx: KeyContext, c: Credentials, login: VaultLogin, deadline: number): Promise<Step<Buffer>> {
    let roleId: SecretBytes | undefined;
    let secretId: SecretBytes | undefined;
    try {
      if (login.method === 'approle') {
        const r = await readSecretRef(login.roleId, 'role_id', ctx.credentialsDir, true);
        if (!r.ok) return r;
        roleId = r.value;
        const s = await readSecretRef(login.secretId, 'secret_id', ctx.credentialsDir, true);
        if (!s.ok) return s;
        secretId = s.value;
      }
      const body = loginBody(login, roleId?.value, secretId?.value);
      try {
        const url = new URL(loginPath(login), this.url.origin);
        const reply = await this.withRetry(ctx, deadline, (ms) => this.once(ctx, { ...c, token: undefined }, ms, { url, method: 'POST', body }));
        if (!reply.ok) return { ok: false, reason: `login: ${reply.reason}` };
        try {
          return loginToken(reply.value, login);
        } finally {
          wipe(reply.value.body);
        }
      } finally {
        wipe(body);
      }
    } finally {
      wipe(roleId?.owner);
      wipe(secretId?.owner);
    }
  }

  /** revoke-self once, bounded by the request timeout; a failure is logged (the token then lives out its TTL). */
  private async revoke(ctx: KeyContext, c: Credentials): Promise<void> {
    const url = new URL(REVOKE_SELF_PATH, this.url.origin);
    let why: string;
    try {
      const reply = await this.once(ctx, c, this.server.timeoutMs, { url, method: 'POST', body: Buffer.alloc(0) });
      wipe(reply.body);
      if (reply.status === 204 || reply.status === 200) return;
      why = `HTTP ${reply.status}`;
    } catch (e) {
      if (!(e instanceof HttpsFailure)) throw e;
      why = e.message;
    }
    this.deps.log?.warn({ volume: ctx.volume.name, source: this.label, why }, 'could not revoke the login token; it expires with its TTL');
  }

  private async withRetry(ctx: KeyContext, deadline: number, send: (timeoutMs: number) => Promise<HttpsReply>): Promise<Step<HttpsReply>> {
    const backoff = new Backoff(deadline, this.deps.initialBackoffMs ?? 500, this.deps.maxBackoffMs ?? 5000, () => this.clock.now());
    for (let attempt = 1; ; attempt++) {
      const left = Math.round(deadline - this.clock.now());
      let why: string;
      try {
        const reply = await send(Math.max(1, Math.min(this.server.timeoutMs, left)));
        if (reply.status < 500) return { ok: true, value: reply };
        why = `HTTP ${reply.status}`;
        wipe(reply.body);
      } catch (e) {
        if (!(e instanceof HttpsFailure)) throw e;
        if (e.kind === 'aborted') return { ok: false, reason: 'cancelled' };
        if (!e.retry) return { ok: false, reason: e.message };
        why = e.message;
      }
      // Backoff cuts the wait to the time left; a wait that would reach the deadline means: give up now.
      const wait = backoff.delay();
      if (wait === 0 || backoff.remaining() <= wait) {
        return { ok: false, reason: `gave up after ${attempt} attempts in ${ctx.volume.networkTimeoutMs} ms (network_timeout); last: ${why}` };
      }
      this.deps.log?.debug(ev('key-source-retrying', { volume: ctx.volume.name, source: this.label, attempt, retryInMs: wait, why }), 'key server not reachable yet, retrying');
      if (!(await pause(this.clock, wait, ctx.signal))) return { ok: false, reason: 'cancelled' };
    }
  }

  private async once(ctx: KeyContext, c: Credentials, timeoutMs: number, req?: { url: URL; method: 'POST'; body: Buffer }): Promise<HttpsReply> {
    // The one string copy of the token: built here, gone with this frame (see the note at the top).
    const headers: Record<string, string> = {};
    if (c.token) headers['X-Vault-Token'] = c.token.toString('latin1');
    if (this.server.namespace) headers['X-Vault-Namespace'] = this.server.namespace;
    return httpsGet(req?.url ?? this.url, {
      ca: c.ca,
      cert: c.cert,
      key: c.key,
      headers,
      method: req?.method,
      body: req?.body,
      connectTimeoutMs: Math.min(this.server.connectTimeoutMs, timeoutMs),
      timeoutMs,
      maxBytes: this.server.maxBytes,
      signal: ctx.signal,
    });
  }

  private interpret(reply: HttpsReply): Step<Buffer> {
    const { status } = reply;
    const path = this.url.pathname;
    if (status === 403) return { ok: false, reason: `key server refused the token (HTTP 403) — check the token's policy for ${path}` };
    if (status === 401) return { ok: false, reason: `key server wants authentication (HTTP 401) — set token_file, token_credential, auth = "approle" or auth = "cert" in [key_server]` };
    if (status === 404) return { ok: false, reason: `no secret at ${path} (HTTP 404) — check the mount and path (KV v2 URLs look like /v1/<mount>/data/<path>)` };
    if (status >= 300 && status < 400) return { ok: false, reason: `key server redirected (HTTP ${status}); redirects are not followed — configure the final URL` };
    if (status !== 200) return { ok: false, reason: `key server answered HTTP ${status}` };
    return extractField(reply.body, this.server.field, this.server.kvVersion ?? 2);
  }

  private async credentials(ctx: KeyContext): Promise<Step<Credentials>> {
    const s = this.server;
    const ca = await readPublic(s.ca, 'ca');
    if (!ca.ok) return ca;
    const cert = s.clientCert ? await readPublic(s.clientCert, 'client_cert') : undefined;
    if (cert && !cert.ok) return cert;
    let key: Buffer | undefined;
    if (s.clientKey) {
      const r = await readSecretFile(s.clientKey, { strictOwnership: true });
      if (!r.ok) return { ok: false, reason: `client key: ${r.reason}` };
      key = r.data;
    }
    const token = await this.token(ctx);
    if (!token.ok) {
      wipe(key);
      return token;
    }
    return { ok: true, value: { ca: ca.value, cert: cert?.value, key, token: token.value } };
  }

  private async token(ctx: KeyContext): Promise<Step<Buffer | undefined>> {
    const s = this.server;
    let r;
    if (s.tokenFile) r = await readSecretFile(s.tokenFile, { strictOwnership: true });
    else if (s.tokenCredential) {
      if (!ctx.credentialsDir) return { ok: false, reason: `token credential '${s.tokenCredential}': $CREDENTIALS_DIRECTORY is not set — add LoadCredential=${s.tokenCredential}:/path to cryptvm.service` };
      r = await readSecretFile(join(ctx.credentialsDir, s.tokenCredential), { strictOwnership: false });
    } else return { ok: true, value: undefined };
    if (!r.ok) return { ok: false, reason: `token: ${r.reason}` };
    // Strip exactly one trailing newline (echo > file); view, not copy, so wiping r.data wipes it.
    const end = r.data[r.data.length - 1] === 0x0a ? r.data.length - 1 : r.data.length;
    const token = r.data.subarray(0, end);
    if (token.length === 0 || !token.every((b) => b > 0x20 && b < 0x7f)) {
      wipe(r.data);
      return { ok: false, reason: 'token: empty or contains characters not allowed in an HTTP header (whitespace, control or non-ASCII bytes)' };
    }
    return { ok: true, value: token };
  }
}

interface Credentials {
  ca: Buffer;
  cert: Buffer | undefined;
  key: Buffer | undefined;
  token: Buffer | undefined;
}

async function readPublic(path: string, setting: string): Promise<Step<Buffer>> {
  try {
    return { ok: true, value: await readFile(path) };
  } catch (e) {
    return { ok: false, reason: `cannot read ${setting} ${path} from [key_server]: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
}
