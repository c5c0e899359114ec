// The agent side: parsing ask files, skipping stale ones, waiting for new ones, replying.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProcessRunner, type Runner } from '../../../src/adapters/exec.js';
import { listRequests, monotonicUs, parseAskFile, reply, waitForRequest } from '../../../src/adapters/password-agent.js';

const askFile = (o: { pid?: number; notAfter?: bigint; id?: string; message?: string } = {}): string =>
  `[Ask]\nPID=${o.pid ?? process.pid}\nSocket=/run/x/sck.1\nAcceptCached=0\nEcho=0\nNotAfter=${o.notAfter ?? 0n}\nSilent=0\nMessage=${o.message ?? 'Please enter: a=b'}\nId=${o.id ?? 'cryptsetup:/dev/sda'}\n`;

describe('parseAskFile', () => {
  it('reads every field, values verbatim after the first =', () => {
    const r = parseAskFile(askFile({ notAfter: 123n }) + 'Icon=drive-harddisk\n', '/d/ask.1');
    expect(r).toEqual({ path: '/d/ask.1', pid: process.pid, socket: '/run/x/sck.1', acceptCached: false, echo: false, notAfterUs: 123n, message: 'Please enter: a=b', id: 'cryptsetup:/dev/sda', icon: 'drive-harddisk' });
  });

  it('rejects files without Socket= or PID=, and keys outside [Ask]', () => {
    expect(parseAskFile('[Ask]\nPID=12\n', 'p')).toBeUndefined();
    expect(parseAskFile('[Other]\nPID=12\nSocket=/s\n', 'p')).toBeUndefined();
  });
});

describe('listRequests / waitForRequest in a private directory', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cryptvm-ask-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('skips expired requests (NotAfter is CLOCK_MONOTONIC µs), dead askers and non-ask files', async () => {
    const dead = spawnSync('true').pid as number; // exited and reaped: its PID is free
    writeFileSync(join(dir, 'ask.live'), askFile({ id: 'live', notAfter: monotonicUs() + 60_000_000n }));
    writeFileSync(join(dir, 'ask.forever'), askFile({ id: 'forever' }));
    writeFileSync(join(dir, 'ask.expired'), askFile({ id: 'expired', notAfter: monotonicUs() - 1n }));
    writeFileSync(join(dir, 'ask.dead'), askFile({ id: 'dead', pid: dead }));
    writeFileSync(join(dir, '.#ask.tmp'), askFile({ id: 'tmp' }));
    const ids = (await listRequests(dir)).map((r) => r.id);
    expect(ids.sort()).toEqual(['forever', 'live']);
  });

  it('monotonicUs agrees with CLOCK_MONOTONIC (/proc/uptime counts CLOCK_BOOTTIME, never less)', () => {
    const uptimeUs = BigInt(Math.round(Number(spawnSync('cat', ['/proc/uptime']).stdout.toString().split(' ')[0]) * 1e6));
    const mono = monotonicUs();
    expect(mono).toBeGreaterThan(0n);
    expect(mono).toBeLessThanOrEqual(uptimeUs + 20_000n);
  });

  it('an empty or missing directory lists nothing', async () => {
    expect(await listRequests(dir)).toEqual([]);
    expect(await listRequests(join(dir, 'missing'))).toEqual([]);
  });

  it('waitForRequest resolves when a matching file appears, ignoring others', async () => {
    const waiting = waitForRequest((r) => r.id === 'mine', { dir, timeoutMs: 5_000 });
    setTimeout(() => writeFileSync(join(dir, 'ask.other'), askFile({ id: 'other' })), 50);
    setTimeout(() => writeFileSync(join(dir, 'ask.mine'), askFile({ id: 'mine' })), 150);
    expect((await waiting).path).toBe(join(dir, 'ask.mine'));
  });

  it('waitForRequest times out with Timeout and stops on abort with Cancelled', async () => {
    await expect(waitForRequest(() => true, { dir, timeoutMs: 200 })).rejects.toMatchObject({ code: 'Timeout' });
    const ac = new AbortController();
    const p = waitForRequest(() => true, { dir, signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'Cancelled' });
  });
});

describe('reply', () => {
  const req = parseAskFile(askFile(), '/d/ask.1')!;
  const refuse: Runner = {
    run: () => {
      throw new Error('must not run');
    },
  };

  it('refuses a secret the one-line protocol cannot carry, before running anything, without echoing it', async () => {
    const err = await reply(req, Buffer.from('ab\ncd'), refuse, { bin: '/x' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'InvalidArgs' });
    expect(String((err as Error).message)).not.toContain('ab');
  });

  it('sends the secret plus newline on stdin ("1 <socket>") and wipes that copy; cancel is "0 <socket>"', async () => {
    const calls: { args: readonly string[]; input: Buffer }[] = [];
    const rec: Runner = {
      async run(file, args, o) {
        calls.push({ args, input: o?.input as Buffer });
        expect(String((o?.input as Buffer).toString())).toBe(args[0] === '1' ? 'pw \n' : '');
        return { command: file, exitCode: 0, stdout: '', stderr: '' };
      },
    };
    await reply(req, Buffer.from('pw '), rec, { bin: '/x' });
    await reply(req, null, rec, { bin: '/x' });
    expect(calls.map((c) => c.args)).toEqual([['1', '/run/x/sck.1'], ['0', '/run/x/sck.1']]);
    expect(calls[0]!.input.every((b) => b === 0)).toBe(true);
  });

  it('a socket nobody listens on is a Failed error naming the request', async () => {
    const gone = { ...req, socket: join(tmpdir(), 'no-such-socket') };
    await expect(reply(gone, Buffer.from('x'), new ProcessRunner())).rejects.toMatchObject({ code: 'Failed', message: expect.stringContaining('cryptsetup:/dev/sda') });
  });
});
