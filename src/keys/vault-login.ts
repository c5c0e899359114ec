// Vault/OpenBao logins for the https: source ([key_server] auth = "approle" | "cert"), as documented:
//   AppRole: POST /v1/auth/<mount>/login  {"role_id":"…","secret_id":"…"}  → {"auth":{"client_token":"…",…}}
//   TLS cert: POST /v1/auth/<mount>/login {"name":"<cert_role>"} or {} over TLS with the client certificate
//   revoke:  POST /v1/auth/token/revoke-self with X-Vault-Token → 204
// role_id, secret_id and the returned token are secrets: Buffers, wiped by the caller; the request body is
// assembled from them byte by byte (no JS string of the secret_id). JSON.parse of the login reply makes a
// string of the token that cannot be zeroed (see https.ts); it is copied into a Buffer and dropped at once.
import { join } from 'node:path';
import type { SecretRef, VaultLogin } from '../config/types.js';
import type { HttpsReply } from '../adapters/https/client.js';
import { wipe } from '../secret.js';
import { readSecretFile } from './read-secret.js';

export type Step<T> = { ok: true; value: T } | { ok: false; reason: string };

/** A secret read from a file or credential: `value` is a view into `owner` (one trailing newline stripped). */
export interface SecretBytes {
  owner: Buffer;
  value: Buffer;
}

/**
 * Reads a token, role_id or secret_id. Allowed bytes: printable ASCII without space; for values embedded in
 * JSON (`json`), also no '"' or '\\' (Vault's role and secret IDs are UUIDs or similar).
 */
export async function readSecretRef(ref: SecretRef, what: string, credentialsDir: string | undefined, json: boolean): Promise<Step<SecretBytes>> {
  let r;
  if ('file' in ref) r = await readSecretFile(ref.file, { strictOwnership: true });
  else {
    if (!credentialsDir) return { ok: false, reason: `${what} credential '${ref.credential}': $CREDENTIALS_DIRECTORY is not set — add LoadCredential=${ref.credential}:/path to cryptvm.service` };
    r = await readSecretFile(join(credentialsDir, ref.credential), { strictOwnership: false });
  }
  if (!r.ok) return { ok: false, reason: `${what}: ${r.reason}` };
  const end = r.data[r.data.length - 1] === 0x0a ? r.data.length - 1 : r.data.length;
  const value = r.data.subarray(0, end);
  const allowed = (b: number): boolean => b > 0x20 && b < 0x7f && !(json && (b === 0x22 || b === 0x5c));
  if (value.length === 0 || !value.every(allowed)) {
    wipe(r.data);
    const what2 = json ? 'whitespace, quotes, backslashes, control or non-ASCII bytes' : 'whitespace, control or non-ASCII bytes';
    return { ok: false, reason: `${what}: empty or contains characters not allowed (${what2})` };
  }
  return { ok: true, value: { owner: r.data, value } };
}

/** The login request body; the caller wipes it. */
export function loginBody(login: VaultLogin, roleId?: Buffer, secretId?: Buffer): Buffer {
  if (login.method === 'cert') return Buffer.from(login.role === undefined ? '{}' : JSON.stringify({ name: login.role }), 'utf8');
  return Buffer.concat([Buffer.from('{"role_id":"'), roleId ?? Buffer.alloc(0), Buffer.from('","secret_id":"'), secretId ?? Buffer.alloc(0), Buffer.from('"}')]);
}

export function loginPath(login: VaultLogin): string {
  return `/v1/auth/${login.mount}/login`;
}

export const REVOKE_SELF_PATH = '/v1/auth/token/revoke-self';

/** auth.client_token of a login reply, as a Buffer the caller wipes; or why the login failed. */
export function loginToken(reply: HttpsReply, login: VaultLogin): Step<Buffer> {
  const { status } = reply;
  const path = loginPath(login);
  const name = login.method === 'approle' ? 'AppRole' : 'TLS certificate';
  if (status === 400 || status === 401 || status === 403) {
    const fix =
      login.method === 'approle'
        ? 'check role_id and secret_id: the secret_id may be wrong, expired or used up (issue a new one: vault write -f auth/approle/role/<role>/secret-id)'
        : 'check client_cert: expired, not issued by a CA the cert auth method trusts, or not allowed by cert_role';
    return { ok: false, reason: `${name} login refused at ${path} (HTTP ${status}) — ${fix}` };
  }
  if (status === 404) return { ok: false, reason: `no login at ${path} (HTTP 404) — is the ${login.method} auth method enabled at auth_mount "${login.mount}"?` };
  if (status >= 300 && status < 400) return { ok: false, reason: `key server redirected the login (HTTP ${status}); redirects are not followed — configure the active node's URL` };
  if (status !== 200) return { ok: false, reason: `${name} login at ${path} answered HTTP ${status}` };
  let doc: unknown;
  try {
    doc = JSON.parse(reply.body.toString('utf8'));
  } catch {
    return { ok: false, reason: `${name} login reply is not valid JSON (${reply.body.length} bytes)` };
  }
  const token = (doc as { auth?: { client_token?: unknown } } | null)?.auth?.client_token;
  doc = undefined;
  if (typeof token !== 'string' || token.length === 0) return { ok: false, reason: `${name} login reply has no auth.client_token` };
  const buf = Buffer.from(token, 'latin1');
  if (!buf.every((b) => b > 0x20 && b < 0x7f)) {
    wipe(buf);
    return { ok: false, reason: `${name} login returned a token with characters not allowed in an HTTP header` };
  }
  return { ok: true, value: buf };
}
