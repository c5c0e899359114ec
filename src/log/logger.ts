// JSON lines on stdout (pino, synchronous: no transports, which need worker threads and break the bundle).
// Under systemd, each line is prefixed with its syslog priority (<3>, <4>, <6>, <7>) so journald files it
// at the right level and `journalctl -u cryptvm -p warning` filters. Child loggers carry {volume}/{guest}.
import { fstatSync, writeSync } from 'node:fs';
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

const PRIORITY: Record<number, number> = { 10: 7, 20: 7, 30: 6, 40: 4, 50: 3, 60: 2 };

/** True when fd 1 is the journal stream systemd told us about (JOURNAL_STREAM=dev:ino). */
export function stdoutIsJournal(env: NodeJS.ProcessEnv = process.env, fd = 1): boolean {
  const js = env.JOURNAL_STREAM;
  if (!js) return false;
  const [dev, ino] = js.split(':');
  try {
    const st = fstatSync(fd, { bigint: true });
    return String(st.dev) === dev && String(st.ino) === ino;
  } catch {
    return false;
  }
}

export interface LogSink {
  write(line: string): void;
}

/** Adds `<priority>` in front of each JSON line when writing to the journal. */
export function prioritySink(write: (s: string) => void, journal: boolean): LogSink {
  return {
    write(line: string) {
      if (!journal) return write(line);
      const m = /"level":(\d+)/.exec(line);
      const prio = PRIORITY[Number(m?.[1])] ?? 6;
      write(`<${prio}>${line}`);
    },
  };
}

/** Field names that must never carry a secret; redaction is a safety net, not the mechanism. */
export const REDACT_PATHS = ['passphrase', 'key', 'secret', 'password', 'input', '*.passphrase', '*.key', '*.secret', '*.input'];

export function createLogger(options: { level?: LevelWithSilent; sink?: LogSink } = {}): Logger {
  const sink = options.sink ?? prioritySink((s) => writeSync(1, s), stdoutIsJournal());
  return pino(
    {
      level: options.level ?? (process.env.CRYPTVM_LOG_LEVEL as LevelWithSilent | undefined) ?? 'info',
      base: undefined,
      messageKey: 'msg',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (_label, number) => ({ level: number }) },
    },
    sink,
  );
}
