// The one seam through which cryptvm runs outside programs. Adapters (cryptsetup, virsh, …) are the only
// callers; tests replace the Runner with a stateful fake. No shell is ever involved: argv arrays only.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { secretBuffer } from '../secret.js';
import { secretOutput } from './secret-output.js';
import { SpawnError } from './spawn-error.js';
import { quoteCommand } from './quote.js';

export interface RunOptions {
  /** Bytes for the child's stdin. Secrets go here and nowhere else. */
  input?: Buffer | string;
  /** Kill the child after this long (SIGTERM, then SIGKILL 2 s later). Default 60 s; 0 = no time limit. */
  timeoutMs?: number;
  /** Abort (e.g. daemon stopping, prompt answered elsewhere). */
  signal?: AbortSignal;
  /** Extra environment; LC_ALL=C is always set so output can be parsed. */
  env?: Record<string, string>;
  /** The call touches a secret (its stdin): marks the call for readers; nothing is ever echoed anyway. */
  secret?: boolean;
  /**
   * Return stdout as bytes in `stdoutBytes` (for programs that print a secret); `stdout` is then ''. Read
   * around Node's pipe buffers (secretOutput), never decoded, every chunk wiped; `stdoutBytes` is a
   * secretBuffer (src/secret.ts).
   */
  binaryStdout?: boolean;
}

export interface RunResult {
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Only with `binaryStdout`: the caller owns it and must wipe it. */
  stdoutBytes?: Buffer;
}

export { SpawnError };

export interface StreamOptions {
  /** Called for each stdout line (without its newline) as it arrives. */
  onLine: (line: string) => void;
  /** Stops the child (SIGTERM, then SIGKILL 2 s later); the promise then rejects with SpawnError 'aborted'. */
  signal?: AbortSignal;
  env?: Record<string, string>;
}

export interface StreamResult {
  command: string;
  exitCode: number;
  /** Buffered stderr (long-running children print little there; errors explain an early exit). */
  stderr: string;
}

export interface Runner {
  run(file: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Long-running children (e.g. `virsh event --loop`): lines as they come, settles when the child exits. */
  stream?(file: string, args: readonly string[], options: StreamOptions): Promise<StreamResult>;
}

export const DEFAULT_TIMEOUT_MS = 60_000;
/** After SIGTERM (timeout, abort), a child that is still there this much later gets SIGKILL. */
export const KILL_AFTER_MS = 2_000;
/** Output kept per stream; a child that prints more is killed (no program we run prints near this). */
export const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

type Ending = 'timeout' | 'aborted' | 'overflow' | undefined;

/** Runs children with node:child_process directly (no shell, argv only); the only place that spawns. */
export class ProcessRunner implements Runner {
  async run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const command = quoteCommand(file, args);
    const out = new Collector();
    const err = new Collector();
    let child: ChildProcess | undefined;
    let ending: Ending;
    const stop = (why: Ending) => {
      ending ??= why;
      if (child) terminate(child);
    };
    // A secret on stdout never passes through Node's pipe reading (see secretOutput).
    const secret = options.binaryStdout ? await secretOutput(command, (c) => out.add(c) || stop('overflow')) : undefined;
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => stop('aborted');
    try {
      try {
        child = start(file, args, command, ['pipe', secret?.childEnd ?? 'pipe', 'pipe'], options.env);
      } finally {
        secret?.childEnd.destroy(); // the child has its own copy of that end
      }
      child.stdout?.on('data', (c: Buffer) => out.add(c) || stop('overflow'));
      child.stderr!.on('data', (c: Buffer) => err.add(c) || stop('overflow'));
      const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      timer = timeoutMs > 0 ? setTimeout(() => stop('timeout'), timeoutMs) : undefined;
      if (options.signal?.aborted) onAbort();
      options.signal?.addEventListener('abort', onAbort);
      // A child that exits without reading its stdin makes the write fail with EPIPE: not our error.
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(options.input ?? '');
      const { code, signal } = await exited(child, file, command, secret?.reader);
      if (ending === 'timeout') throw new SpawnError(`${command} timed out`, command, 'timeout');
      if (ending === 'aborted') throw new SpawnError(`${command} was aborted`, command, 'aborted');
      if (ending === 'overflow') throw new SpawnError(`${command} printed more than ${MAX_OUTPUT_BYTES} bytes; killed`, command, 'failed');
      if (code === null) throw new SpawnError(`${command} was killed by ${signal}`, command, 'failed');
      const stderr = err.text();
      if (options.binaryStdout) return { command, exitCode: code, stdout: '', stderr, stdoutBytes: out.bytes() };
      return { command, exitCode: code, stdout: out.text(), stderr };
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      secret?.close();
      out.wipe();
    }
  }

  async stream(file: string, args: readonly string[], options: StreamOptions): Promise<StreamResult> {
    const command = quoteCommand(file, args);
    const child = start(file, args, command, ['ignore', 'pipe', 'pipe'], options.env);
    const err = new Collector();
    child.stderr!.on('data', (c: Buffer) => err.add(c) || terminate(child));
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      terminate(child);
    };
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort);
    let thrown: { error: unknown } | undefined;
    // stdout is only read line by line, never kept: an event loop runs for the daemon's lifetime.
    const lines = createInterface({ input: child.stdout!, crlfDelay: Infinity });
    lines.on('line', (line) => {
      if (thrown) return;
      try {
        options.onLine(line);
      } catch (error) {
        // A throwing callback ends the stream: stop the child rather than leave it running unread.
        thrown = { error };
        terminate(child);
      }
    });
    try {
      const { code, signal } = await exited(child, file, command);
      if (thrown) throw thrown.error;
      if (aborted) throw new SpawnError(`${command} was aborted`, command, 'aborted');
      if (code === null) throw new SpawnError(`${command} was killed by ${signal}`, command, 'failed');
      return { command, exitCode: code, stderr: err.text() };
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      lines.close();
    }
  }
}

function start(file: string, args: readonly string[], command: string, stdio: ('pipe' | 'ignore' | Socket)[], env: Record<string, string> | undefined): ChildProcess {
  try {
    // detached: its own process group, so a timeout or abort also ends what it started (clevis → curl,
    // sh → sleep) instead of leaving grandchildren that hold its pipes open.
    return spawn(file, [...args], { stdio, env: { ...process.env, LC_ALL: 'C', ...env }, shell: false, detached: true });
  } catch (cause) {
    throw new SpawnError(`cannot run ${command}`, command, 'failed', { cause });
  }
}

const terminated = new WeakSet<ChildProcess>();

/** Signals the child's process group (the child itself when that fails). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/** SIGTERM to the child's group now, SIGKILL if the child is still there KILL_AFTER_MS later. */
function terminate(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null || terminated.has(child)) return;
  terminated.add(child);
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), KILL_AFTER_MS);
  child.once('exit', () => {
    clearTimeout(timer);
    killGroup(child, 'SIGKILL'); // what it started and left behind
  });
}

/**
 * Settles when the child exited and its output streams closed (and `output`, the secretOutput reader, if
 * any); a spawn failure becomes a SpawnError.
 */
function exited(child: ChildProcess, file: string, command: string, output?: Socket): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const outputClosed = new Promise<void>((done) => (output && !output.closed ? output.once('close', () => done()) : done()));
  return new Promise((resolve, reject) => {
    child.once('error', (cause: NodeJS.ErrnoException) => {
      // 'error' without a pid: it never ran (ENOENT, EACCES). With a pid it was a kill() failure: wait for close.
      if (child.pid !== undefined) return;
      reject(
        cause.code === 'ENOENT'
          ? new SpawnError(`${file}: program not found; install it or fix PATH`, command, 'not-found', { cause })
          : new SpawnError(`cannot run ${command}: ${cause.code ?? cause.message}`, command, 'failed', { cause }),
      );
    });
    child.once('close', (code, signal) => void outputClosed.then(() => resolve({ code, signal })));
    // Normally 'close' follows 'exit' once the pipes drain. A descendant that still holds them (killed by us,
    // or daemonized) must not keep us waiting: give up on the rest of the output.
    child.once('exit', (code, signal) => {
      const grace = setTimeout(() => {
        for (const s of [child.stdin, child.stdout, child.stderr, output]) s?.destroy();
        resolve({ code, signal });
      }, terminated.has(child) ? 0 : KILL_AFTER_MS);
      child.once('close', () => void outputClosed.then(() => clearTimeout(grace)));
    });
  });
}

/**
 * Output chunks up to MAX_OUTPUT_BYTES; bytes() copies them into one secretBuffer (stdout may be a secret:
 * a Buffer.alloc of a short passphrase would sit inside V8's heap and leave a copy wherever it is moved),
 * wipe() zeroes the chunks.
 */
class Collector {
  private chunks: Buffer[] = [];
  private size = 0;

  /** False when the limit is passed (the chunk is dropped). */
  add(chunk: Buffer): boolean {
    if (this.size + chunk.length > MAX_OUTPUT_BYTES) {
      chunk.fill(0);
      return false;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    return true;
  }

  bytes(): Buffer {
    const out = secretBuffer(this.size);
    let at = 0;
    for (const c of this.chunks) at += c.copy(out, at);
    return out;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }

  wipe(): void {
    for (const c of this.chunks) c.fill(0);
    this.chunks = [];
  }
}
