// Canary: the key served by the key server and the token sent to it never show up in the logs (trace level,
// retries included), in any failure reason, or in /proc/*/cmdline|environ while a fetch is in flight.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HttpsSource } from '../../../src/keys/https.js';
import { createLogger } from '../../../src/log/logger.js';
import { hasOpenssl, makeTestCa } from '../../helpers/test-ca.js';
import { FAST, keyContext, kvReply, serverConfig, startHttpsServer, tokenFile } from '../../helpers/https-server.js';

const ok = hasOpenssl();
if (!ok) console.warn('SKIPPED https canary test: openssl not installed (apt-get install openssl)');

function procHits(needles: Buffer[]): string[] {
  const hits: string[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    for (const f of ['cmdline', 'environ']) {
      try {
        const data = readFileSync(`/proc/${pid}/${f}`);
        if (needles.some((n) => data.includes(n))) hits.push(`${pid}/${f}`);
      } catch {
        // gone
      }
    }
  }
  return hits;
}

describe.skipIf(!ok)('https: canary', () => {
  it('key and token appear nowhere but in the returned Buffer', async () => {
    const ca = makeTestCa();
    const key = `key-canary-${randomBytes(8).toString('hex')}`;
    const token = `tok-canary-${randomBytes(8).toString('hex')}`;
    const lines: string[] = [];
    const log = createLogger({ level: 'trace', sink: { write: (l) => void lines.push(l) } });
    let n = 0;
    const hits = new Set<string>();
    const server = await startHttpsServer({ cert: ca.server.certPem, key: ca.server.keyPem }, (req, res) => {
      procHits([Buffer.from(key), Buffer.from(token)]).forEach((h) => hits.add(h)); // mid-request
      if (req.headers['x-vault-token'] !== token) return void res.writeHead(403).end();
      // Two 500s first (bodies carrying the key) so retry log lines are produced; then the key.
      if (++n <= 2) return void res.writeHead(500).end(kvReply({ passphrase: key }));
      res.end(kvReply({ passphrase: key }));
    });
    try {
      const cfg = serverConfig(ca, { tokenFile: tokenFile(ca, `${token}\n`) });
      const a = await new HttpsSource(server.url('/v1/kv/data/c'), cfg, { ...FAST, log }).get(keyContext(5000));
      expect(a.kind === 'key' && a.key.toString()).toBe(key);
      // Failures: a bad field, a 403 — their reasons must not carry either secret.
      const bad = await new HttpsSource(server.url('/v1/kv/data/c'), { ...cfg, field: 'other' }, { log }).get(keyContext());
      const refused = await new HttpsSource(server.url('/v1/kv/data/c'), serverConfig(ca, { tokenFile: tokenFile(ca, 'x\n') }), { log }).get(keyContext());
      expect(bad.kind).toBe('unavailable');
      expect(refused.kind).toBe('unavailable');
      const everything = [...lines, JSON.stringify(bad), JSON.stringify(refused)].join('\n');
      expect(lines.some((l) => l.includes('retrying'))).toBe(true); // the logs were really produced
      expect(everything).not.toContain(key);
      expect(everything).not.toContain(token);
      expect([...hits]).toEqual([]);
      expect(n).toBeGreaterThanOrEqual(3);
    } finally {
      await server.close();
      ca.cleanup();
    }
  });
});
