// The one seam through which cryptvm runs outside programs. Adapters (cryptsetup, virsh, …) are the only
// callers; tests replace the Runner with a stateful fake. No shell is ever involved: argv arrays only.
import { execa, type ResultPromise } from 'execa';
import { quoteCommand } from './quote.js';

export interface RunOptions {
  /** Bytes for the child's stdin. Secrets go here and nowhere else. */
  input?: Buffer | string;
  /** Kill the child after this long (SIGTERM, then SIGKILL 2 s later). Default 60 s. */
  timeoutMs?: number;
  /** Abort (e.g. daemon stopping, prompt answered elsewhere). */
  signal?: AbortSignal;
  /** Extra environment; LC_ALL=C is always set so output can be parsed. */
  env?: Record<string, string>;
  /** The call touches a secret: never echo it through execa's verbose/debug output. */
  secret?: boolean;
  /** Return stdout as bytes in `stdoutBytes` (for programs that print a secret); `stdout` is then ''. */
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

/** Thrown only when a program could not be run at all, timed out or was aborted; a non-zero exit is a result. */
export class SpawnError extends Error {
  override name = 'SpawnError';
  constructor(
    message: string,
    readonly command: string,
    readonly reason: 'not-found' | 'timeout' | 'aborted' | 'failed',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

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

/** The child never ran to an exit code: not found, or failed to spawn. */
function notRun(file: string, command: string, r: { cause?: unknown; shortMessage?: string }): SpawnError {
  const notFound = (r.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  return new SpawnError(
    notFound ? `${file}: program not found; install it or fix PATH` : `${command} failed: ${r.shortMessage}`,
    command,
    notFound ? 'not-found' : 'failed',
    { cause: r.cause ?? r },
  );
}

export class ExecaRunner implements Runner {
  async run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const command = quoteCommand(file, args);
    let child: ResultPromise;
    try {
      child = execa(file, [...args], {
        input: options.input ?? '',
        timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        forceKillAfterDelay: 2_000,
        cancelSignal: options.signal,
        env: { LC_ALL: 'C', ...options.env },
        extendEnv: true,
        reject: false,
        stripFinalNewline: false,
        encoding: options.binaryStdout ? 'buffer' : 'utf8',
        verbose: 'none',
        shell: false,
      });
    } catch (cause) {
      throw new SpawnError(`cannot run ${command}`, command, 'failed', { cause });
    }
    const r = await child;
    if (r.timedOut) throw new SpawnError(`${command} timed out`, command, 'timeout', { cause: r });
    if (r.isCanceled) throw new SpawnError(`${command} was aborted`, command, 'aborted', { cause: r });
    if (r.exitCode === undefined) throw notRun(file, command, r);
    if (options.binaryStdout) {
      const bytes = Buffer.from(r.stdout as unknown as Uint8Array);
      (r.stdout as unknown as Uint8Array).fill(0);
      return { command, exitCode: r.exitCode, stdout: '', stderr: Buffer.from(r.stderr as unknown as Uint8Array).toString('utf8'), stdoutBytes: bytes };
    }
    return { command, exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
  }

  async stream(file: string, args: readonly string[], options: StreamOptions): Promise<StreamResult> {
    const command = quoteCommand(file, args);
    const child = execa(file, [...args], {
      stdin: 'ignore',
      // stdout is only iterated, never kept: an event loop runs for the daemon's lifetime.
      buffer: { stdout: false, stderr: true },
      cancelSignal: options.signal,
      forceKillAfterDelay: 2_000,
      env: { LC_ALL: 'C', ...options.env },
      extendEnv: true,
      reject: false,
      verbose: 'none',
      shell: false,
    });
    let thrown: { error: unknown } | undefined;
    try {
      for await (const line of child.iterable({ from: 'stdout' })) {
        try {
          options.onLine(String(line));
        } catch (error) {
          // A throwing callback ends the stream: stop the child rather than leave it running unread.
          thrown = { error };
          child.kill();
          break;
        }
      }
    } catch {
      // The iteration fails when the child does (abort, spawn error); the awaited result below says why.
    }
    const r = await child;
    if (thrown) throw thrown.error;
    if (r.isCanceled) throw new SpawnError(`${command} was aborted`, command, 'aborted', { cause: r });
    if (r.exitCode === undefined) throw notRun(file, command, r);
    return { command, exitCode: r.exitCode, stderr: String(r.stderr) };
  }
}
