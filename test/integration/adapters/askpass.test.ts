// Real systemd-ask-password, answered by our own agent through the real systemd-reply-password.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AskPassword } from '../../../src/adapters/askpass.js';
import { ProcessRunner, type Runner } from '../../../src/adapters/exec.js';
import { monotonicUs, waitForRequest } from '../../../src/adapters/password-agent.js';
import { CryptvmError } from '../../../src/errors.js';
import { answerNext, ensureAskDir, uniqueAskId } from '../../helpers/agent.js';

const haveAsk = existsSync('/usr/bin/systemd-ask-password') || existsSync('/bin/systemd-ask-password');
if (!haveAsk) console.warn('SKIPPED askpass integration tests: systemd-ask-password not installed (apt-get install systemd)');

describe.skipIf(!haveAsk)('AskPassword against real systemd-ask-password', () => {
  ensureAskDir();
  const ask = new AskPassword(new ProcessRunner());

  it('returns the answer byte-exact, spaces kept, the one trailing newline stripped; Message= and Id= are in the ask file', async () => {
    const { id } = uniqueAskId();
    const message = 'Please enter passphrase for disk cr_test (guests: imap):';
    const asked = ask.ask({ id, message, icon: 'drive-harddisk' });
    const req = await waitForRequest((r) => r.id === id, { timeoutMs: 10_000 });
    const file = readFileSync(req.path, 'utf8');
    expect(file).toContain(`Message=${message}\n`);
    expect(file).toContain(`Id=${id}\n`);
    expect(req.message).toBe(message);
    expect(req.icon).toBe('drive-harddisk');
    expect(req.notAfterUs).toBe(0n); // no timeout: waits until answered
    await answerNext(id, Buffer.from('  pa ss \t x '));
    const got = await asked;
    expect(got.equals(Buffer.from('  pa ss \t x '))).toBe(true);
  });

  it('a cancel from the agent is Cancelled', async () => {
    const { id } = uniqueAskId();
    const asked = ask.ask({ id, message: 'cancel me' }).catch((e: unknown) => e);
    await answerNext(id, null);
    expect(await asked).toMatchObject({ code: 'Cancelled' });
  });

  it('an unanswered prompt times out as Timeout', async () => {
    const { id } = uniqueAskId();
    const t0 = Date.now();
    const err = await ask.ask({ id, message: 'nobody answers', timeoutMs: 1_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CryptvmError);
    expect((err as CryptvmError).code).toBe('Timeout');
    expect(Date.now() - t0).toBeLessThan(6_000);
  });

  it('aborting the signal kills the child, and its ask file disappears', async () => {
    const { id } = uniqueAskId();
    const ac = new AbortController();
    const asked = ask.ask({ id, message: 'withdrawn', signal: ac.signal, timeoutMs: 100_000 }).catch((e: unknown) => e);
    const req = await waitForRequest((r) => r.id === id, { timeoutMs: 10_000 });
    // NotAfter= is CLOCK_MONOTONIC µs; our clock must agree, or the agent would skip live requests as expired.
    const left = req.notAfterUs - monotonicUs();
    expect(left).toBeGreaterThan(90_000_000n);
    expect(left).toBeLessThanOrEqual(100_000_000n);
    expect(existsSync(req.path)).toBe(true);
    ac.abort();
    expect(await asked).toMatchObject({ code: 'Cancelled' });
    expect(existsSync(req.path)).toBe(false);
    expect(existsSync(req.socket)).toBe(false);
  });
});

// The newline handling and exit-code mapping, against a scripted runner (exact argv expected).
function scripted(stdout: Buffer, exitCode = 0, stderr = ''): Runner & { argv: string[] } {
  const r = {
    argv: [] as string[],
    async run(file: string, args: readonly string[], o?: { binaryStdout?: boolean; secret?: boolean }) {
      if (file !== 'systemd-ask-password' || !o?.binaryStdout || !o.secret) throw new Error(`unexpected call ${file}`);
      r.argv = [...args];
      return { command: file, exitCode, stdout: '', stderr, stdoutBytes: stdout };
    },
  };
  return r;
}

describe('AskPassword output handling', () => {
  it('strips exactly one trailing newline and wipes the raw output', async () => {
    const raw = Buffer.from('x \n\n');
    const runner = scripted(raw);
    const got = await new AskPassword(runner).ask({ id: 'cryptsetup:/dev/x', message: 'line1\nline2' });
    expect(got.toString()).toBe('x \n');
    expect(raw.every((b) => b === 0)).toBe(true);
    expect(runner.argv).toEqual(['--no-tty', '--id=cryptsetup:/dev/x', '--timeout=0', '--', 'line1 line2']);
  });

  it('maps an unknown failure to Failed with the command and exit code, never the output', async () => {
    const err = (await new AskPassword(scripted(Buffer.from('s3cret'), 1, 'Failed to query password: Bad thing')).ask({ id: 'i', message: 'm' }).catch((e: unknown) => e)) as CryptvmError;
    expect(err.code).toBe('Failed');
    expect(err.exitCode).toBe(1);
    expect(err.message).toContain('Bad thing');
    expect(err.message).not.toContain('s3cret');
  });
});
