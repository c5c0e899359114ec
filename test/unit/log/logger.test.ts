// Journal priorities: each JSON line gets the syslog prefix of its level, but only when fd 1 really is the
// journal stream systemd announced; child loggers carry the volume/guest; redaction is a safety net.
import { describe, expect, it } from 'vitest';
import { fstatSync, openSync } from 'node:fs';
import { createLogger, prioritySink, stdoutIsJournal } from '../../../src/log/logger.js';
import { CryptvmError } from '../../../src/errors.js';

describe('logger', () => {
  it('prefixes each line with its syslog priority when writing to the journal', () => {
    const out: string[] = [];
    const log = createLogger({ level: 'debug', sink: prioritySink((s) => void out.push(s), true) });
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    log.fatal('f');
    expect(out.map((l) => l.slice(0, 3))).toEqual(['<7>', '<6>', '<4>', '<3>', '<2>']);
    expect(JSON.parse(out[2]!.slice(3))).toMatchObject({ level: 40, msg: 'w' });
  });

  it('writes plain JSON lines elsewhere, with the child logger fields and secrets redacted', () => {
    const out: string[] = [];
    const log = createLogger({ sink: prioritySink((s) => void out.push(s), false) });
    log.child({ volume: 'cr_a' }).info({ passphrase: 'hunter2' }, 'volume opened');
    const line = JSON.parse(out[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 30, volume: 'cr_a', msg: 'volume opened', passphrase: '[redacted]' });
    expect(out[0]).not.toContain('hunter2');
  });

  it('an Error logged as err keeps its type, its cause chain and its context, and never a secret-named field', () => {
    const out: string[] = [];
    const log = createLogger({ sink: prioritySink((s) => void out.push(s), false) });
    const cause = Object.assign(new Error('cryptsetup exited 2'), { passphrase: 'hunter2' });
    const e = Object.assign(new CryptvmError('Failed', 'volume cr_a: open failed', { volume: 'cr_a', cause }), { key: 'hunter3' });
    log.error({ err: e }, 'volume did not open');
    const line = JSON.parse(out[0]!) as { err: Record<string, unknown> };
    expect(line.err).toMatchObject({ type: 'CryptvmError', code: 'Failed', volume: 'cr_a', message: 'volume cr_a: open failed: cryptsetup exited 2', key: '[redacted]' });
    expect(line.err.stack).toMatch(/caused by: Error: cryptsetup exited 2/);
    expect(out[0]).not.toMatch(/hunter[23]/);
  });

  it('recognises the journal only when JOURNAL_STREAM names fd 1 itself', () => {
    const fd = openSync('/dev/null', 'w');
    const st = fstatSync(fd, { bigint: true });
    expect(stdoutIsJournal({ JOURNAL_STREAM: `${st.dev}:${st.ino}` }, fd)).toBe(true);
    expect(stdoutIsJournal({ JOURNAL_STREAM: `${st.dev}:${st.ino + 1n}` }, fd)).toBe(false);
    expect(stdoutIsJournal({}, fd)).toBe(false);
  });
});
