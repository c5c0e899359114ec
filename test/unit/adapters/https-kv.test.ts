// extractField reads the key out of a KV reply without JSON.parse ever seeing it: the result must be what
// JSON.parse + UTF-8 would give for every valid reply, and every invalid one must be refused as before.
import { describe, expect, it } from 'vitest';
import { extractField } from '../../../src/adapters/https/kv.js';

const v2 = (data: unknown): Buffer =>
  Buffer.from(JSON.stringify({ request_id: 'r', lease_duration: 0, data: { data, metadata: { created_time: '2024-01-01T00:00:00Z', version: 1 } } }));
const value = (r: ReturnType<typeof extractField>): Buffer => {
  if (!r.ok) throw new Error(r.reason);
  return r.value;
};

describe('extractField', () => {
  it('takes the field of a KV v2 (data.data) or v1 (data) reply, byte-exact', () => {
    expect(value(extractField(v2({ passphrase: ' pass phrase\n', other: 'x' }), 'passphrase')).toString()).toBe(' pass phrase\n');
    expect(value(extractField(Buffer.from('{"data":{"passphrase":"v1 key"}}'), 'passphrase', 1)).toString()).toBe('v1 key');
  });

  it('decodes every JSON escape as JSON.parse does (then UTF-8)', () => {
    const samples = ['a"b\\c/d', '\b\f\n\r\t', 'kü €', '😀 x', '\u0000\u001f\u007f', 'caf\u00e9', '\ud800 lone', 'lone \udc00', '\\u0041'];
    for (const s of samples) {
      const body = v2({ passphrase: s, n: 1, list: ['a', 'b', { c: 'd' }], t: true, z: null });
      expect(value(extractField(body, 'passphrase')).equals(Buffer.from(s, 'utf8')), JSON.stringify(s)).toBe(true);
    }
    // Escapes JSON.stringify does not write, and whitespace around the colon.
    const raw = Buffer.from('{ "data" : { "data" : { "passphrase" : "\\u00fc\\/\\uD83D\\uDE00" , "k":"v" } } }');
    expect(value(extractField(raw, 'passphrase')).toString()).toBe('ü/😀');
  });

  it('*_b64 fields are base64 (whitespace ignored); invalid or empty ones are refused', () => {
    const bytes = Buffer.from([0, 1, 2, 255, 10]);
    expect(value(extractField(v2({ raw_b64: bytes.toString('base64') }), 'raw_b64')).equals(bytes)).toBe(true);
    expect(value(extractField(v2({ raw_b64: 'AAEC\n/wo=' }), 'raw_b64')).equals(bytes)).toBe(true);
    expect(value(extractField(v2({ raw_b64: 'AAEC/wo' }), 'raw_b64')).equals(bytes)).toBe(true); // padding optional
    for (const bad of ['AA=A', 'AA===', 'AA*B', '€'])
      expect(extractField(v2({ raw_b64: bad }), 'raw_b64')).toEqual({ ok: false, reason: "secret field 'raw_b64' is not valid base64" });
    expect(extractField(v2({ raw_b64: '' }), 'raw_b64')).toEqual({ ok: false, reason: "secret field 'raw_b64' is empty" });
  });

  it('not JSON (unterminated string, bad escape, raw control character, trailing garbage): refused without quoting the body', () => {
    for (const bad of ['{"data":{"data":{"passphrase":"abc}}}', '{"data":{"data":{"passphrase":"a\\xb"}}}', '{"data":{"data":{"passphrase":"a\nb"}}}', '{"data":{"data":{"passphrase":"a\\u12"}}}', '{"data":1} x', '', 'secret']) {
      const r = extractField(Buffer.from(bad), 'passphrase');
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(/^reply is not valid JSON \(\d+ bytes\)/);
    }
  });

  it('missing, empty or non-string fields and non-KV replies: the same reasons as before', () => {
    expect(extractField(v2({ a: 'x', b: 'y' }), 'nope')).toEqual({ ok: false, reason: "secret has no field 'nope' (fields: a, b) — set field in [key_server]" });
    expect(extractField(v2({ passphrase: '' }), 'passphrase')).toEqual({ ok: false, reason: "secret field 'passphrase' is empty" });
    expect(extractField(v2({ passphrase: 5 }), 'passphrase')).toEqual({ ok: false, reason: "secret field 'passphrase' is a number, not a string" });
    expect(extractField(v2({ passphrase: null }), 'passphrase')).toEqual({ ok: false, reason: "secret field 'passphrase' is a null, not a string" });
    expect(extractField(Buffer.from('{"data":{"passphrase":"x"}}'), 'passphrase')).toMatchObject({ ok: false, reason: expect.stringMatching(/^reply has no data\.data object/) });
    expect(extractField(Buffer.from('{"errors":[]}'), 'passphrase', 1)).toMatchObject({ ok: false, reason: expect.stringMatching(/^reply has no data object/) });
  });
});
