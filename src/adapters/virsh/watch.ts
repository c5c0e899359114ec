// `virsh event --all --loop --timestamp` as a long-running child: libvirt pushes lifecycle events, so the
// daemon need not poll. Restart-with-backoff is the caller's job; the returned promise says how it ended.
import { CryptvmError } from '../../errors.js';
import { SpawnError, type Runner } from '../exec.js';
import { errorLines } from './errors.js';
import { parseEventLine, type DomainEvent } from './events.js';

export interface EventsOptions {
  /** Abort to stop watching; the promise then resolves with `{ reason: 'aborted' }`. */
  signal?: AbortSignal;
  onEvent: (event: DomainEvent) => void;
}

export interface EventsExit {
  /** 'exited': virsh ended on its own (libvirtd stopped or restarted) — reconnect after a backoff. */
  reason: 'aborted' | 'exited';
  exitCode: number | null;
  /** libvirt's error lines joined, when virsh said why it exited. */
  error: string | undefined;
  command: string;
}

export async function watchEvents(runner: Runner, bin: string, uri: string, opts: EventsOptions): Promise<EventsExit> {
  const args = ['-c', uri, 'event', '--all', '--loop', '--timestamp'];
  if (!runner.stream) {
    throw new CryptvmError('Failed', 'this Runner cannot stream output; virsh events need Runner.stream');
  }
  try {
    const r = await runner.stream(bin, args, {
      signal: opts.signal,
      onLine: (line) => {
        const event = parseEventLine(line);
        if (event) opts.onEvent(event);
      },
    });
    const lines = errorLines(r.stderr);
    return { reason: 'exited', exitCode: r.exitCode, error: lines.length ? lines.join(': ') : undefined, command: r.command };
  } catch (e) {
    if (e instanceof SpawnError && e.reason === 'aborted') {
      return { reason: 'aborted', exitCode: null, error: undefined, command: e.command };
    }
    if (e instanceof SpawnError) {
      throw new CryptvmError('Libvirt', `cannot watch libvirt events: ${e.message}`, { command: e.command, cause: e });
    }
    throw e;
  }
}
