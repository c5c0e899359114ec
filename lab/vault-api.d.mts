// Types for vault-api.mjs (the tests import it).
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface KvMount {
  mount: string;
  secrets: Record<string, Record<string, unknown>>;
}
export interface VaultSpec {
  namespace?: string;
  kv2?: KvMount;
  kv1?: KvMount;
  approle?: { mount?: string; roles: Record<string, { roleId: string; secretIds: string[]; paths: string[] }> };
  cert?: { mount?: string; roles: Record<string, { ca: Buffer | string; paths: string[] }> };
  tokens?: Record<string, string[]>;
}
export interface VaultApi {
  /** "METHOD path status" per request: never a token or a secret. */
  log: string[];
  /** Login tokens not revoked yet. */
  live(): number;
  handle(req: IncomingMessage, res: ServerResponse): void;
}
export function vaultApi(spec: VaultSpec): VaultApi;
