// The Vault/OpenBao KV v2 read reply: {"data":{"data":{"<field>":"<value>"},"metadata":{…}}}; KV v1: {"data":{…}}.
// The secret never becomes a JS string (one that cannot be wiped): JSON.parse only sees a copy of the body in
// which every string VALUE is replaced by a placeholder "\u0000<n>" (keys stay as they are), and the field's
// value is decoded (JSON escapes, then base64 for "*_b64") from the body's bytes into a secretBuffer. Each
// value's escapes are checked while the placeholders are made, so the copy is valid JSON exactly when the
// body is. A field named "*_b64" holds base64 and is decoded (binary key files); any other field is taken as
// its UTF-8 bytes, byte-exact: spaces and newlines inside the value are part of the key.
import { copySecret, secretBuffer, wipe } from '../../secret.js';

export type FieldResult = { ok: true; value: Buffer } | { ok: false; reason: string };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const isSpace = (b: number | undefined): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
/** 0–15 for an ASCII hex digit, -1 otherwise. */
const hexValue = (b: number | undefined): number =>
  b === undefined ? -1 : b >= 0x30 && b <= 0x39 ? b - 0x30 : b >= 0x41 && b <= 0x46 ? b - 0x37 : b >= 0x61 && b <= 0x66 ? b - 0x57 : -1;
const SIMPLE_ESCAPES: Record<number, number> = { 0x22: 0x22, 0x5c: 0x5c, 0x2f: 0x2f, 0x62: 0x08, 0x66: 0x0c, 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09 };

/** The body with string values as placeholders, and each value's [start, end) inside the quotes; undefined: not JSON. */
function redact(body: Buffer): { text: string; values: [number, number][] } | undefined {
  const parts: string[] = [];
  const values: [number, number][] = [];
  let copied = 0;
  for (let i = 0; i < body.length; i++) {
    if (body[i] !== QUOTE) continue;
    let k = i + 1;
    for (; k < body.length && body[k] !== QUOTE; k++) {
      const b = body[k]!;
      if (b < 0x20) return undefined;
      if (b !== BACKSLASH) continue;
      const e = body[k + 1];
      if (e === 0x75) {
        for (let h = 2; h < 6; h++) if (hexValue(body[k + h]) < 0) return undefined;
        k += 5;
      } else if (e !== undefined && SIMPLE_ESCAPES[e] !== undefined) k += 1;
      else return undefined;
    }
    if (k >= body.length) return undefined; // unterminated
    let next = k + 1;
    while (isSpace(body[next])) next++;
    if (body[next] === 0x3a) {
      i = k; // a key: stays in the text
      continue;
    }
    parts.push(body.toString('utf8', copied, i), `"\\u0000${values.length}"`);
    values.push([i + 1, k]);
    copied = k + 1;
    i = k;
  }
  parts.push(body.toString('utf8', copied));
  return { text: parts.join(''), values };
}

/** UTF-8 of one code point into out at n; returns the new n. */
function putUtf8(out: Buffer, n: number, cp: number): number {
  if (cp < 0x80) out[n++] = cp;
  else if (cp < 0x800) {
    out[n++] = 0xc0 | (cp >> 6);
    out[n++] = 0x80 | (cp & 0x3f);
  } else if (cp < 0x10000) {
    out[n++] = 0xe0 | (cp >> 12);
    out[n++] = 0x80 | ((cp >> 6) & 0x3f);
    out[n++] = 0x80 | (cp & 0x3f);
  } else {
    out[n++] = 0xf0 | (cp >> 18);
    out[n++] = 0x80 | ((cp >> 12) & 0x3f);
    out[n++] = 0x80 | ((cp >> 6) & 0x3f);
    out[n++] = 0x80 | (cp & 0x3f);
  }
  return n;
}

const u4 = (body: Buffer, at: number): number => (hexValue(body[at]) << 12) | (hexValue(body[at + 1]) << 8) | (hexValue(body[at + 2]) << 4) | hexValue(body[at + 3]);

/** The JSON string body[start, end) (escapes already checked by redact) as bytes, in a secretBuffer. */
function decodeString(body: Buffer, start: number, end: number): Buffer {
  const work = secretBuffer(end - start); // an escape never decodes to more bytes than it takes
  let n = 0;
  for (let k = start; k < end; k++) {
    const b = body[k]!;
    if (b !== BACKSLASH) {
      work[n++] = b;
      continue;
    }
    const e = body[k + 1]!;
    if (e !== 0x75) {
      work[n++] = SIMPLE_ESCAPES[e]!;
      k += 1;
      continue;
    }
    let cp = u4(body, k + 2);
    k += 5;
    if (cp >= 0xd800 && cp <= 0xdbff && body[k + 1] === BACKSLASH && body[k + 2] === 0x75) {
      const low = u4(body, k + 3);
      if (low >= 0xdc00 && low <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        k += 6;
      }
    }
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd; // a lone surrogate: what UTF-8 encoding of it gives
    n = putUtf8(work, n, cp);
  }
  const out = copySecret(work, 0, n);
  wipe(work);
  return out;
}

const B64 = new Int8Array(256).fill(-1);
[...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].forEach((c, i) => (B64[c.charCodeAt(0)] = i));

/** Standard base64 (whitespace ignored, at most two trailing '=') into a secretBuffer; undefined if invalid. */
function decodeBase64(text: Buffer): Buffer | undefined {
  const work = secretBuffer(Math.ceil((text.length * 3) / 4));
  let n = 0;
  let bits = 0;
  let acc = 0;
  let pad = 0;
  for (const b of text) {
    if (isSpace(b)) continue;
    if (b === 0x3d && pad < 2) {
      pad++;
      continue;
    }
    const v = B64[b]!;
    if (v < 0 || pad > 0) {
      wipe(work);
      return undefined;
    }
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      work[n++] = (acc >> bits) & 0xff;
    }
  }
  const out = copySecret(work, 0, n);
  wipe(work);
  return out;
}

export function extractField(body: Buffer, field: string, kvVersion: 1 | 2 = 2): FieldResult {
  const redacted = redact(body);
  let doc: unknown;
  try {
    if (!redacted) throw new SyntaxError('not JSON');
    doc = JSON.parse(redacted.text);
  } catch {
    // The parser's message would quote the body: never pass it on.
    return { ok: false, reason: `reply is not valid JSON (${body.length} bytes) — is the URL a KV v2 read (/v1/<mount>/data/<path>)?` };
  }
  // KV v1 (/v1/<mount>/<path>) answers {"data":{"<field>":"<value>"}}, without the version wrapper.
  const outer = (doc as { data?: unknown } | null)?.data;
  const data = kvVersion === 1 ? outer : (outer as { data?: unknown } | null | undefined)?.data;
  if (typeof data !== 'object' || data === null) {
    return kvVersion === 1
      ? { ok: false, reason: 'reply has no data object — is the URL a KV v1 read (/v1/<mount>/<path>)?' }
      : { ok: false, reason: 'reply has no data.data object — is the URL a KV v2 read (/v1/<mount>/data/<path>, not /v1/<mount>/<path>; set kv_version = 1 for a KV v1 mount)?' };
  }
  const value = (data as Record<string, unknown>)[field];
  if (value === undefined) {
    const names = Object.keys(data).slice(0, 10).join(', ') || 'none';
    return { ok: false, reason: `secret has no field '${field}' (fields: ${names}) — set field in [key_server]` };
  }
  if (typeof value !== 'string') return { ok: false, reason: `secret field '${field}' is a ${value === null ? 'null' : typeof value}, not a string` };
  const [start, end] = redacted!.values[Number(value.slice(1))]!;
  const text = decodeString(body, start, end);
  if (!field.endsWith('_b64')) {
    if (text.length === 0) return { ok: false, reason: `secret field '${field}' is empty` };
    return { ok: true, value: text };
  }
  const key = decodeBase64(text);
  wipe(text);
  if (!key) return { ok: false, reason: `secret field '${field}' is not valid base64` };
  if (key.length === 0) return { ok: false, reason: `secret field '${field}' is empty` };
  return { ok: true, value: key };
}
