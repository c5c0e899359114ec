// The Vault/OpenBao KV v2 read reply: {"data":{"data":{"<field>":"<value>"},"metadata":{…}}}; KV v1: {"data":{…}}.
// JSON.parse necessarily makes JS strings of the whole body (including the secret) that cannot be zeroed; we
// copy the one field into a fresh Buffer at once and drop every reference, so they die with this frame.
// A field named "*_b64" holds base64 and is decoded (binary key files); any other field is taken as its
// UTF-8 bytes, byte-exact: spaces and newlines inside the value are part of the key.

export type FieldResult = { ok: true; value: Buffer } | { ok: false; reason: string };

export function extractField(body: Buffer, field: string, kvVersion: 1 | 2 = 2): FieldResult {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    // The parser's message quotes the body: never pass it on.
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
  if (field.endsWith('_b64')) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value.replace(/\s+/g, ''))) return { ok: false, reason: `secret field '${field}' is not valid base64` };
    const key = Buffer.from(value, 'base64');
    return key.length > 0 ? { ok: true, value: key } : { ok: false, reason: `secret field '${field}' is empty` };
  }
  if (value.length === 0) return { ok: false, reason: `secret field '${field}' is empty` };
  return { ok: true, value: Buffer.from(value, 'utf8') };
}
