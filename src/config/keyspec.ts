// keys = [...] entries: how a volume's passphrase is obtained, tried in order (BRIEF §3.4). Each entry is
// checked on its own line; key files are checked for owner and mode at load (see secret-file.ts).

import type { Problems } from './problem.js';
import type { KeySourceSpec } from './types.js';
import { checkSecretFile, validCredentialName } from './secret-file.js';
import { closest } from './suggest.js';
import { absolutePath } from './values.js';

const SUPPORTED = 'prompt, keyfile:/PATH, credential[:NAME], token[:TYPE], clevis (or tang), https:URL';
const KINDS = ['prompt', 'keyfile', 'credential', 'token', 'clevis', 'tang', 'https'];
/** LUKS2 token types as systemd-cryptenroll writes them (and what third-party plugins may name theirs). */
const TOKEN_TYPE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Kept for callers that check key files (cryptvm doctor). */
export function checkKeyFile(path: string, checkOwnership: boolean): [string, string][] {
  return checkSecretFile(path, checkOwnership);
}

export interface KeysContext {
  volume: string;
  checkOwnership: boolean;
  /** headless = true: a listed prompt is a contradiction. */
  headless: boolean;
}

/** Parses the keys entries of a volume (`key` is "volume#N.keys"); each problem is on its entry's line. */
export function parseKeys(p: Problems, key: string, entries: string[], c: KeysContext): KeySourceSpec[] {
  const out: KeySourceSpec[] = [];
  entries.forEach((entry, i) => {
    const line = p.lineOf(`${key}[${i}]`);
    const spec = parseEntry(p, key, entry, line, c);
    if (spec) out.push(spec);
  });
  if (entries.length === 0) {
    const example = c.headless ? 'keys = ["token", "clevis"]' : 'keys = ["prompt"]';
    p.error(key, 'no key source, so the volume could never be opened', `write ${example}`);
  }
  return out;
}

function parseEntry(p: Problems, key: string, entry: string, line: number, c: KeysContext): KeySourceSpec | undefined {
  const colon = entry.indexOf(':');
  const kind = colon < 0 ? entry : entry.slice(0, colon);
  const arg = colon < 0 ? undefined : entry.slice(colon + 1);
  const noArgument = (): undefined => {
    p.error(key, `key source "${kind}" takes no argument, not ${JSON.stringify(entry)}`, `write "${kind}"`, line);
    return undefined;
  };
  switch (kind) {
    case 'prompt':
      if (arg !== undefined) return noArgument();
      if (c.headless) {
        p.error(key, 'headless volume lists "prompt"', 'remove one: the "prompt" entry or headless = true', line);
        return undefined;
      }
      return { kind: 'prompt' };
    case 'keyfile': {
      const path = absolutePath(p, key, arg ?? '', 'key file', line);
      if (path === undefined) return undefined;
      for (const [message, fix] of checkSecretFile(path, c.checkOwnership)) p.error(key, message, fix, line);
      return { kind: 'keyfile', path };
    }
    case 'credential': {
      const name = arg ?? c.volume;
      if (validCredentialName(name)) return { kind: 'credential', name };
      p.error(key, `invalid credential name ${JSON.stringify(name)}`, 'use a plain file name without "/" or control characters, not starting with "-"', line);
      return undefined;
    }
    case 'token':
      return tokenEntry(p, key, arg, line);
    case 'clevis':
    case 'tang':
      // One source: clevis decides from the binding whether Tang, TPM2 or an sss policy is involved.
      return arg === undefined ? { kind: 'clevis' } : noArgument();
    case 'https':
      return httpsEntry(p, key, arg ?? '', line);
    default: {
      const guess = closest(kind, KINDS);
      const message = `unknown key source ${JSON.stringify(entry)}${guess ? `, did you mean "${guess}"?` : ''}`;
      p.error(key, message, `use one of: ${SUPPORTED}`, line);
      return undefined;
    }
  }
}

function tokenEntry(p: Problems, key: string, type: string | undefined, line: number): KeySourceSpec | undefined {
  if (type === undefined) return { kind: 'token', tokenType: undefined };
  if (type === 'clevis') {
    p.error(key, 'clevis tokens are not opened by cryptsetup\'s token plugins', 'write "clevis" instead of "token:clevis"', line);
    return undefined;
  }
  if (TOKEN_TYPE.test(type)) return { kind: 'token', tokenType: type };
  const message = `invalid token type ${JSON.stringify(type)}`;
  p.error(key, message, 'write "token" (any type) or e.g. "token:systemd-tpm2", "token:systemd-fido2"', line);
  return undefined;
}

function httpsEntry(p: Problems, key: string, url: string, line: number): KeySourceSpec | undefined {
  const example = 'write e.g. "https:https://vault.example:8200/v1/secret/data/cryptvm/NAME"';
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    p.error(key, `key server URL ${JSON.stringify(url)} is not a URL`, example, line);
    return undefined;
  }
  if (u.protocol === 'http:') {
    p.error(key, `key server URL ${url} uses http:, and there are no plaintext key servers`, 'use https:// and set [key_server] ca', line);
  } else if (u.protocol !== 'https:' || u.hostname === '') {
    p.error(key, `key server URL ${JSON.stringify(url)} is not an https:// URL with a host`, example, line);
  } else if (u.username !== '' || u.password !== '') {
    // A credential in the URL ends up in logs and status output.
    p.error(key, `key server URL ${u.host}${u.pathname} carries a user name or password`, 'remove it; set [key_server] token_file or client_cert', line);
  } else return { kind: 'https', url };
  return undefined;
}
