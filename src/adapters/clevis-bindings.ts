// Reads clevis bindings from a LUKS2 header's JSON: each "clevis" token holds a JWE (flattened JSON) and the
// keyslots it opens. Only the JWE's protected header is decoded, to see which pins the policy uses (tang,
// tpm2, sss of those) — the same information `clevis luks list` prints; decrypting is clevis's job.

export interface ClevisBinding {
  tokenId: number;
  keyslots: number[];
  /** Top-level pin: "tang", "tpm2", "sss", … */
  pin: string;
  /** Tang servers anywhere in the policy (sss included). */
  urls: string[];
  /** Needs the network (some tang in the policy): worth waiting for at boot. */
  networkBound: boolean;
  /** Compact serialization, what `clevis decrypt` reads on stdin. */
  jwe: string;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The pins and tang URLs of a compact JWE's policy (recursing into sss). */
function policyOf(compact: string, depth = 0): { pin: string; urls: string[] } {
  const header: unknown = JSON.parse(Buffer.from(compact.split('.')[0] ?? '', 'base64url').toString('utf8'));
  const clevis = isObject(header) && isObject(header.clevis) ? header.clevis : {};
  const pin = typeof clevis.pin === 'string' ? clevis.pin : 'unknown';
  const urls: string[] = [];
  const tang = clevis.tang;
  if (pin === 'tang' && isObject(tang) && typeof tang.url === 'string') urls.push(tang.url);
  const sss = clevis.sss;
  if (pin === 'sss' && isObject(sss) && Array.isArray(sss.jwe) && depth < 8) {
    for (const inner of sss.jwe) if (typeof inner === 'string') urls.push(...policyOf(inner, depth + 1).urls);
  }
  return { pin, urls };
}

export function compactJwe(jwe: Json): string {
  const part = (k: string): string => (typeof jwe[k] === 'string' ? (jwe[k] as string) : '');
  if (!part('protected') || !part('ciphertext')) throw new Error('a clevis token has no protected header or ciphertext');
  return [part('protected'), part('encrypted_key'), part('iv'), part('ciphertext'), part('tag')].join('.');
}

export function parseBindings(luks2Json: string): ClevisBinding[] {
  const root: unknown = JSON.parse(luks2Json);
  const tokens = isObject(root) && isObject(root.tokens) ? root.tokens : {};
  const out: ClevisBinding[] = [];
  for (const [id, t] of Object.entries(tokens)) {
    if (!isObject(t) || t.type !== 'clevis' || !isObject(t.jwe)) continue;
    const jwe = compactJwe(t.jwe);
    const { pin, urls } = policyOf(jwe);
    const keyslots = Array.isArray(t.keyslots) ? t.keyslots.map(Number) : [];
    out.push({ tokenId: Number(id), keyslots, pin, urls, networkBound: pin === 'tang' || urls.length > 0, jwe });
  }
  // Policies that need no network first: they never wait.
  return out.sort((a, b) => Number(a.networkBound) - Number(b.networkBound) || a.tokenId - b.tokenId);
}
