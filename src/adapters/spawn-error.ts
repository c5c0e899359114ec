// The error of the Runner seam (exec.ts): a program that could not be run at all, timed out or was aborted.
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
