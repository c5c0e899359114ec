// [key_server] logins, namespace and KV version: how an https: source gets a Vault/OpenBao token for its read.
//   auth = "token"   the static token of token_file / token_credential (also what an unset auth means with them)
//   auth = "approle" POST /v1/auth/<auth_mount>/login {role_id, secret_id}; role_id and secret_id each from a
//                    root-only file (role_id_file, secret_id_file) or a systemd credential (*_credential)
//   auth = "cert"    POST /v1/auth/<auth_mount>/login {name: cert_role} over TLS with client_cert/client_key
// The token a login returns is used for that read only and revoked right after (auth/token/revoke-self).

import type { Problems } from './problem.js';
import type { RawKeyServer } from './schema.js';
import { checkSecretFile, validCredentialName } from './secret-file.js';
import type { KeyServerConfig, SecretRef, VaultLogin } from './types.js';
import { absolutePath } from './values.js';

/** Mount paths and namespaces: path segments of letters, digits, "_", "-", "."; no "..", no leading "/". */
const PATH_RE = /^(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;

type Extra = Pick<KeyServerConfig, 'login' | 'namespace' | 'kvVersion'>;

export function resolveVaultAuth(raw: RawKeyServer, p: Problems, checkOwnership: boolean): Extra {
  const k = (leaf: string): string => `key_server.${leaf}`;
  const out: Extra = {};
  const pathLike = (leaf: 'auth_mount' | 'namespace', v: string | undefined): string | undefined => {
    if (v === undefined) return undefined;
    if (PATH_RE.test(v)) return v;
    p.error(k(leaf), `${JSON.stringify(v)} is not a valid ${leaf === 'namespace' ? 'namespace' : 'mount path'}`, `write it like ${leaf === 'namespace' ? '"ns1" or "team/ns1"' : '"approle" or "hosts/approle"'} (no leading "/", no "..")`);
    return undefined;
  };
  const namespace = pathLike('namespace', raw.namespace);
  if (namespace !== undefined) out.namespace = namespace;
  if (raw.kv_version !== undefined) {
    if (raw.kv_version === 1 || raw.kv_version === 2) out.kvVersion = raw.kv_version;
    else p.error(k('kv_version'), `${raw.kv_version} is not a KV secrets engine version`, 'set kv_version = 2 (…/v1/<mount>/data/<path>) or 1 (…/v1/<mount>/<path>)');
  }

  const approleKeys = (['role_id_file', 'role_id_credential', 'secret_id_file', 'secret_id_credential'] as const).filter((x) => raw[x] !== undefined);
  if (raw.auth !== 'approle') {
    for (const x of approleKeys) p.error(k(x), `${x} is set but auth is not "approle"`, 'add auth = "approle" to [key_server], or remove it');
  }
  if (raw.cert_role !== undefined && raw.auth !== 'cert') p.error(k('cert_role'), 'cert_role is set but auth is not "cert"', 'add auth = "cert" to [key_server], or remove it');
  if (raw.auth_mount !== undefined && raw.auth !== 'approle' && raw.auth !== 'cert') {
    p.error(k('auth_mount'), 'auth_mount is set but there is no login (auth is not "approle" or "cert")', 'set auth = "approle" or "cert", or remove auth_mount');
  }
  const mount = pathLike('auth_mount', raw.auth_mount);
  const hasToken = raw.token_file !== undefined || raw.token_credential !== undefined;

  switch (raw.auth) {
    case 'token':
      if (!hasToken) p.error(k('auth'), 'auth = "token" needs token_file or token_credential', 'set token_file = "/etc/cryptvm/vault-token" (root-only) or token_credential');
      break;
    case 'approle': {
      if (hasToken) p.error(k('auth'), 'auth = "approle" logs in for its own token: token_file/token_credential would be ignored', 'remove token_file and token_credential');
      const roleId = secretRef(raw, 'role_id', p, checkOwnership);
      const secretId = secretRef(raw, 'secret_id', p, checkOwnership);
      if (roleId && secretId) out.login = { method: 'approle', mount: mount ?? 'approle', roleId, secretId };
      break;
    }
    case 'cert':
      if (hasToken) p.error(k('auth'), 'auth = "cert" logs in for its own token: token_file/token_credential would be ignored', 'remove token_file and token_credential');
      if (raw.client_cert === undefined || raw.client_key === undefined) {
        p.error(k('auth'), 'auth = "cert" needs client_cert and client_key', 'set client_cert and client_key (the certificate the cert auth method trusts)');
      }
      if (raw.cert_role === '') p.error(k('cert_role'), 'is empty', 'name the certificate role (vault write auth/cert/certs/NAME …) or remove cert_role');
      out.login = { method: 'cert', mount: mount ?? 'cert', role: raw.cert_role || undefined } satisfies VaultLogin;
      break;
    default:
      break;
  }
  return out;
}

function secretRef(raw: RawKeyServer, what: 'role_id' | 'secret_id', p: Problems, checkOwnership: boolean): SecretRef | undefined {
  const fileKey = `${what}_file` as const;
  const credKey = `${what}_credential` as const;
  const file = raw[fileKey];
  const cred = raw[credKey];
  const key = (leaf: string): string => `key_server.${leaf}`;
  if (file !== undefined && cred !== undefined) {
    p.error(key(credKey), `${fileKey} and ${credKey} are both set`, 'keep one of them');
    return undefined;
  }
  if (file !== undefined) {
    const abs = absolutePath(p, key(fileKey), file, fileKey);
    if (abs === undefined) return undefined;
    const wrong = checkSecretFile(abs, checkOwnership, fileKey);
    for (const [message, fix] of wrong) p.error(key(fileKey), message, fix);
    return wrong.length === 0 ? { file: abs } : undefined;
  }
  if (cred !== undefined) {
    if (validCredentialName(cred)) return { credential: cred };
    p.error(key(credKey), `invalid credential name ${JSON.stringify(cred)}`, 'use a plain file name without "/"');
    return undefined;
  }
  p.error(key('auth'), `auth = "approle" needs ${fileKey} or ${credKey}`, `set ${fileKey} = "/etc/cryptvm/vault-${what.replace('_', '-')}" (root-only) or ${credKey} = "vault-${what.replace('_', '-')}"`);
  return undefined;
}
