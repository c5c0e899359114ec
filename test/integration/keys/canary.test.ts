// A canary passphrase through a real ask → agent answer → chain run must never show up in any process's
// argv or environment (/proc/*/cmdline, /proc/*/environ), nor in the logs.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AskPassword } from '../../../src/adapters/askpass.js';
import { ProcessRunner } from '../../../src/adapters/exec.js';
import { createLogger } from '../../../src/log/logger.js';
import { PromptBroker } from '../../../src/keys/broker.js';
import { buildSources, unlockWithChain } from '../../../src/keys/chain.js';
import { volume as makeVolume } from '../../helpers/config.js';
import { answerNext, ensureAskDir, uniqueAskId } from '../../helpers/agent.js';

const haveAsk = existsSync('/usr/bin/systemd-ask-password');
if (!haveAsk) console.warn('SKIPPED canary test: systemd-ask-password not installed (apt-get install systemd)');

/** PIDs whose cmdline or environ contain the needle; counts how many processes were actually read. */
function scanProc(needle: Buffer): { hits: string[]; read: number } {
  const hits: string[] = [];
  let read = 0;
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    for (const f of ['cmdline', 'environ']) {
      try {
        const data = readFileSync(`/proc/${pid}/${f}`);
        read++;
        if (data.includes(needle)) hits.push(`${pid}/${f}`);
      } catch {
        // process gone
      }
    }
  }
  return { hits, read };
}

describe.skipIf(!haveAsk)('canary passphrase', () => {
  it('(control) the /proc scan does find a marker in a child argv and environment', async () => {
    const marker = `marker-${randomBytes(8).toString('hex')}`;
    const child = spawn('sleep', ['5'], { env: { ...process.env, MARKER: marker } });
    const child2 = spawn('sh', ['-c', 'sleep 5', marker]);
    try {
      await new Promise((r) => setTimeout(r, 100));
      const { hits } = scanProc(Buffer.from(marker));
      expect(hits).toEqual(expect.arrayContaining([`${child.pid}/environ`, `${child2.pid}/cmdline`]));
    } finally {
      child.kill();
      child2.kill();
    }
  });

  it('never appears in /proc/*/cmdline, /proc/*/environ or the logs', async () => {
    ensureAskDir();
    const canary = `canary-${randomBytes(8).toString('hex')}`;
    const needle = Buffer.from(canary);
    const lines: string[] = [];
    const log = createLogger({ level: 'trace', sink: { write: (l) => void lines.push(l) } });
    const { id, device } = uniqueAskId();
    const volume = makeVolume('cr_canary', { device, keys: [{ kind: 'keyfile', path: '/nonexistent/cr.key' }, { kind: 'prompt' }], tries: 2 });
    const broker = new PromptBroker(new AskPassword(new ProcessRunner()), { log, gatherMs: 0 });

    // Keep scanning while the secret travels: agent → systemd-reply-password → socket → systemd-ask-password → us.
    const hits = new Set<string>();
    let scans = 0;
    let scanning = true;
    const scanner = (async () => {
      while (scanning) {
        const s = scanProc(needle);
        s.hits.forEach((h) => hits.add(h));
        if (s.read > 0) scans++;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();

    let seenInTryKey = false;
    const result = unlockWithChain({ volume, device, guests: ['g'], signal: new AbortController().signal, credentialsDir: undefined }, buildSources(volume, { broker }), async (key) => {
      seenInTryKey = key.equals(needle);
      scanProc(needle).hits.forEach((h) => hits.add(h)); // while the key is held
      return seenInTryKey ? 'ok' : 'bad-passphrase';
    }, log);
    await answerNext(id, needle);
    const r = await result;
    scanning = false;
    await scanner;

    expect(r).toEqual({ opened: true, source: 'prompt', skipped: ['keyfile:/nonexistent/cr.key: /nonexistent/cr.key does not exist'] });
    expect(seenInTryKey).toBe(true);
    expect(scans).toBeGreaterThan(0);
    expect([...hits]).toEqual([]);
    expect(lines.length).toBeGreaterThan(0); // the broker and chain did log
    expect(lines.join('')).toContain('cr_canary');
    expect(lines.join('')).not.toContain(canary);
  });
});
