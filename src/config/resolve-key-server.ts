// [key_server]: how https: key sources reach a Vault/OpenBao style server. Paths and credentials are safety
// (refuse the file); timeouts and the size cap are tuning (warn, use the default). The table is only needed
// when some volume lists an https: source, and then it must say which CA to trust and how to authenticate.

import type { Problems } from './problem.js';
import type { RawKeyServer } from './schema.js';
import { checkPublicFile, checkSecretFile, validCredentialName } from './secret-file.js';
import type { KeyServerConfig } from './types.js';
import { absolutePath, tuningDuration, tuningInt } from './values.js';
import { resolveVaultAuth } from './resolve-vault-auth.js';

const SECOND = 1000;

export const KEY_SERVER_DEFAULTS = {
  field: 'passphrase',
  connectTimeoutMs: 5 * SECOND,
  timeoutMs: 15 * SECOND,
  maxBytes: 65_536,
};

/**
 * `raw` is undefined when there is no [key_server] table; `httpsLine` is the line of the first https: entry
 * (0 when none). Returns undefined when no https: source needs it (an unused table is still checked).
 */
export function resolveKeyServer(raw: RawKeyServer | undefined, httpsLine: number, p: Problems, checkOwnership: boolean): KeyServerConfig | undefined {
  const needed = httpsLine > 0;
  if (raw === undefined) {
    if (needed) p.error('key_server', 'an https: key source needs a [key_server] table', 'add [key_server] with ca = "/etc/cryptvm/ca.pem" and token_file or client_cert', httpsLine);
    return undefined;
  }
  const k = (leaf: string): string => `key_server.${leaf}`;
  const path = (leaf: keyof RawKeyServer, what: string, check: (path: string) => [string, string][]): string | undefined => {
    const v = raw[leaf];
    if (typeof v !== 'string') return undefined;
    const abs = absolutePath(p, k(leaf), v, what);
    if (abs !== undefined) for (const [message, fix] of check(abs)) p.error(k(leaf), message, fix);
    return abs;
  };
  const ca = path('ca', 'ca', (f) => checkPublicFile(f, 'ca'));
  const tokenFile = path('token_file', 'token_file', (f) => checkSecretFile(f, checkOwnership, 'token_file'));
  const clientCert = path('client_cert', 'client_cert', (f) => checkPublicFile(f, 'client_cert'));
  const clientKey = path('client_key', 'client_key', (f) => checkSecretFile(f, checkOwnership, 'client_key'));
  const tokenCredential = raw.token_credential;
  if (tokenCredential !== undefined && !validCredentialName(tokenCredential)) {
    p.error(k('token_credential'), `invalid credential name ${JSON.stringify(tokenCredential)}`, 'use a plain file name without "/" or control characters, not starting with "-"');
  }
  if (raw.token_file !== undefined && tokenCredential !== undefined) {
    p.error(k('token_credential'), 'token_file and token_credential are both set', 'keep one of them');
  }
  if ((raw.client_cert === undefined) !== (raw.client_key === undefined)) {
    const [has, lacks] = raw.client_cert === undefined ? ['client_key', 'client_cert'] : ['client_cert', 'client_key'];
    p.error(k(has), `${has} is set without ${lacks}`, `set both client_cert and client_key, or neither`);
  }
  if (needed && raw.ca === undefined) {
    p.error('key_server', 'required key "ca" is missing: https: sources verify the server against it', 'add ca = "/etc/cryptvm/ca.pem" (there is no way to turn verification off)');
  }
  const auth = raw.token_file ?? tokenCredential ?? raw.client_cert ?? raw.auth;
  if (needed && auth === undefined) {
    p.error('key_server', 'no authentication for the key server', 'set token_file, token_credential, auth = "approle" with role_id_file and secret_id_file, or client_cert and client_key');
  }
  if (raw.field === '') p.error(k('field'), 'is empty', 'name the secret\'s field that holds the key, e.g. field = "passphrase"');
  const d = KEY_SERVER_DEFAULTS;
  const resolved: KeyServerConfig = {
    ca: ca ?? '',
    tokenFile,
    tokenCredential,
    clientCert,
    clientKey,
    field: raw.field || d.field,
    connectTimeoutMs: tuningDuration(p, k('connect_timeout'), raw.connect_timeout, d.connectTimeoutMs, [100, 300 * SECOND]),
    timeoutMs: tuningDuration(p, k('timeout'), raw.timeout, d.timeoutMs, [SECOND, 3600 * SECOND]),
    maxBytes: tuningInt(p, k('max_bytes'), raw.max_bytes, d.maxBytes, 1, 1_048_576),
    ...resolveVaultAuth(raw, p, checkOwnership),
  };
  return raw.ca === undefined ? undefined : resolved;
}
