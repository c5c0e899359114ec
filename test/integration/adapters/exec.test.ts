// The Runner every adapter goes through, against real processes: exit codes are results, stdin bytes arrive
// exactly, secrets' stdout comes back as bytes (read through a socket pair of its own, not Node's pipe), the environment is extended with LC_ALL=C, and a child that
// is not found, times out (even ignoring SIGTERM), is aborted, or prints too much ends in one SpawnError.
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { KILL_AFTER_MS, ProcessRunner, SpawnError } from '../../../src/adapters/exec.js';

const runner = new ProcessRunner();
const sh = (script: string, opts = {}) => runner.run('sh', ['-c', script], opts);

/** Pids of live processes whose argv contains `marker` (a leftover child would show up here). */
function alive(marker: string): string[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p) && p !== String(process.pid)).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'latin1').includes(marker) && !readFileSync(`/proc/${p}/stat`, 'latin1').includes(') Z ');
    } catch {
      return false;
    }
  });
}

describe('ProcessRunner.run', () => {
  it('a non-zero exit is a result with both outputs; the command is quoted for messages', async () => {
    const r = await sh('echo out; echo err >&2; exit 3');
    expect(r).toEqual({ command: "sh -c 'echo out; echo err >&2; exit 3'", exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
  });

  it('stdin gets the input byte for byte (binary, no newline added); a child that ignores stdin is fine', async () => {
    const input = Buffer.from([0, 1, 2, 0xff, 0x0a, 0xc3, 0xbc]);
    const r = await runner.run('od', ['-An', '-tx1'], { input });
    expect(r.stdout.trim().split(/\s+/)).toEqual(['00', '01', '02', 'ff', '0a', 'c3', 'bc']);
    const big = Buffer.alloc(4 * 1024 * 1024, 0x61); // more than a pipe holds: the write fails with EPIPE
    expect((await runner.run('true', [], { input: big })).exitCode).toBe(0);
  });

  it('binaryStdout: stdout comes back as bytes only (multi-chunk, exact), stdout text empty', async () => {
    const r = await runner.run('head', ['-c', '300000', '/dev/urandom'], { binaryStdout: true });
    expect(r.stdout).toBe('');
    expect(r.stdoutBytes?.length).toBe(300000);
    const text = await sh("printf 'k\\303\\274\\n'", { binaryStdout: true });
    expect(text.stdoutBytes).toEqual(Buffer.from('kü\n'));
  });

  it('binaryStdout reads through its own socket pair: no temporary directory left, failures and early exits as without it', async () => {
    const ours = () => readdirSync(process.env.RUNTIME_DIRECTORY?.split(':')[0] || tmpdir()).filter((n) => n.startsWith('cryptvm-out-'));
    const before = ours();
    await expect(runner.run('/nonexistent/clevis', [], { binaryStdout: true })).rejects.toMatchObject({ reason: 'not-found' });
    await expect(sh('sleep 5', { binaryStdout: true, timeoutMs: 100 })).rejects.toMatchObject({ reason: 'timeout' });
    expect((await sh('printf k; exit 4', { binaryStdout: true })).exitCode).toBe(4);
    // A descendant that keeps stdout open does not hold the result back beyond the grace period.
    const marker = `29.2${process.pid}`;
    const started = Date.now();
    const r = await sh(`sleep ${marker} & printf key`, { binaryStdout: true });
    expect(Date.now() - started).toBeLessThan(KILL_AFTER_MS + 1_500);
    expect(r.stdoutBytes).toEqual(Buffer.from('key'));
    for (const pid of alive(marker)) process.kill(Number(pid));
    expect(ours()).toEqual(before);
  });

  it('LC_ALL=C always, the daemon environment kept, extra variables added', async () => {
    process.env.CRYPTVM_TEST_INHERITED = 'yes';
    const r = await sh('echo "$LC_ALL $CRYPTVM_TEST_INHERITED $EXTRA"', { env: { EXTRA: 'x' } });
    delete process.env.CRYPTVM_TEST_INHERITED;
    expect(r.stdout).toBe('C yes x\n');
  });

  it('a program that is not there: SpawnError not-found naming it', async () => {
    const e = await runner.run('/nonexistent/cryptsetup', ['status']).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SpawnError);
    expect(e).toMatchObject({ reason: 'not-found', message: '/nonexistent/cryptsetup: program not found; install it or fix PATH', command: '/nonexistent/cryptsetup status' });
  });

  it('timeout: SIGTERM, then SIGKILL for a child that ignores it; nothing left running', async () => {
    const marker = `cryptvm-timeout-${process.pid}`;
    const started = Date.now();
    const e = await sh(`trap '' TERM; while :; do sleep 0.05; done # ${marker}`, { timeoutMs: 200 }).catch((x: unknown) => x);
    const took = Date.now() - started;
    expect(e).toMatchObject({ name: 'SpawnError', reason: 'timeout' });
    expect((e as Error).message).toMatch(/timed out$/);
    expect(took).toBeGreaterThanOrEqual(200 + KILL_AFTER_MS - 50);
    expect(alive(marker)).toEqual([]);
  }, 10_000);

  it('abort: before or during the run, SpawnError aborted, the child and what it started gone', async () => {
    const marker = `29.1${process.pid}`; // sh forks sleep: the grandchild must be gone too
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const started = Date.now();
    await expect(sh(`sleep ${marker}; true`, { signal: ac.signal })).rejects.toMatchObject({ reason: 'aborted' });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(alive(marker)).toEqual([]);
    await expect(runner.run('true', [], { signal: AbortSignal.abort() })).rejects.toMatchObject({ reason: 'aborted' });
  });

  it('timeoutMs 0 means no time limit (systemd-ask-password --timeout=0 waits for a human)', async () => {
    expect((await sh('sleep 0.3; echo done', { timeoutMs: 0 })).stdout).toBe('done\n');
  });

  it('a child killed by a signal from elsewhere is a failure, not an exit code', async () => {
    await expect(sh('kill -KILL $$')).rejects.toMatchObject({ reason: 'failed', message: expect.stringMatching(/was killed by SIGKILL$/) });
  });
});

describe('ProcessRunner.stream', () => {
  it('hands over lines as they come (split chunks joined, no newline) and the exit code', async () => {
    const lines: string[] = [];
    const r = await runner.stream('sh', ['-c', "printf 'one\\ntw'; sleep 0.1; printf 'o\\nthree'; echo oops >&2; exit 4"], { onLine: (l) => lines.push(l) });
    expect(lines).toEqual(['one', 'two', 'three']);
    expect(r).toMatchObject({ exitCode: 4, stderr: 'oops\n' });
  });

  it('abort stops the child: SpawnError aborted', async () => {
    const marker = `29.2${process.pid}`;
    const ac = new AbortController();
    const lines: string[] = [];
    const done = runner.stream('sh', ['-c', `echo first; sleep ${marker}; true`], {
      onLine: (l) => {
        lines.push(l);
        ac.abort();
      },
      signal: ac.signal,
    });
    await expect(done).rejects.toMatchObject({ reason: 'aborted' });
    expect(lines).toEqual(['first']);
    expect(alive(marker)).toEqual([]);
  });

  it('a throwing callback ends the stream with its error and stops the child and its children', async () => {
    const marker = `29.3${process.pid}`;
    const done = runner.stream('sh', ['-c', `echo bad; sleep ${marker}; true`], {
      onLine: () => {
        throw new Error('cannot parse that line');
      },
    });
    const started = Date.now();
    await expect(done).rejects.toThrow('cannot parse that line');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(alive(marker)).toEqual([]);
  });

  it('not found: SpawnError not-found', async () => {
    await expect(runner.stream('/nonexistent/virsh', ['event'], { onLine: () => undefined })).rejects.toMatchObject({ reason: 'not-found' });
  });
});
