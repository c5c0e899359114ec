// The event vocabulary as a contract: every name of the list is emitted by some log call in src/ (a call
// site that drops or renames its event fails here or in tsc), the list has no duplicates, and cryptvmd(8)
// documents exactly these names. ev() puts the event on the line next to the logger's own fields.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LOG_EVENTS, ev, type LogEvent } from '../../../src/log/events.js';
import { createLogger } from '../../../src/log/logger.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const VOCABULARY = join(REPO, 'src/log/events.ts');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Comments out: an example in a comment is not a call site. */
const code = (text: string): string => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)\/\/.*$/gm, '$1');

/** The event names a source text passes as the first argument of ev() or stepFields(). */
function emittedEvents(text: string): Set<string> {
  const names = new Set<string>();
  for (const call of code(text).matchAll(/\b(?:ev|stepFields)\(\s*([^,)]*)/g)) {
    for (const lit of (call[1] ?? '').matchAll(/'([a-z][a-z-]*)'/g)) names.add(lit[1]!);
  }
  return names;
}

/** The names cryptvmd(8) lists under JOURNAL FIELDS (each a `.TP` item in bold). */
function documented(): string[] {
  const page = readFileSync(join(REPO, 'docs/man/cryptvmd.8'), 'utf8');
  const section = /^\.SH "JOURNAL FIELDS"\n([\s\S]*?)^\.SH /m.exec(page)?.[1] ?? '';
  return [...section.matchAll(/^\.TP\n\.B (\S+)$/gm)].map((m) => m[1]!.replace(/\\-/g, '-'));
}

describe('log event vocabulary', () => {
  it('every event of the list is emitted by a log call somewhere in src/', () => {
    const emitted = new Set(sources(join(REPO, 'src')).filter((f) => f !== VOCABULARY).flatMap((f) => [...emittedEvents(readFileSync(f, 'utf8'))]));
    expect(LOG_EVENTS.filter((e) => !emitted.has(e))).toEqual([]);
  });

  it('finds call sites the way they are written, and not in comments', () => {
    const text = [
      "log.info(ev('volume-opened', { source }), 'volume opened');",
      "log.info(ev(res === 'closed' ? 'volume-closed' : 'volume-already-closed'), 'x');",
      "log.debug(stepFields('step-started', step), 'step');",
      "// log.info(ev('guest-saved'), 'in a comment');",
      "/* ev('guest-destroyed') */ log.info('no event');",
    ].join('\n');
    expect([...emittedEvents(text)].filter((e) => (LOG_EVENTS as readonly string[]).includes(e)).sort()).toEqual(['step-started', 'volume-already-closed', 'volume-closed', 'volume-opened']);
  });

  it('has no name twice', () => {
    expect(LOG_EVENTS.filter((e, i) => LOG_EVENTS.indexOf(e) !== i)).toEqual([]);
  });

  it('cryptvmd(8) JOURNAL FIELDS lists exactly the events, in the same order', () => {
    expect(documented()).toEqual([...LOG_EVENTS]);
  });

  it('ev() puts the event on the JSON line beside the fields and the child logger\'s volume', () => {
    const lines: string[] = [];
    const log = createLogger({ sink: { write: (s) => void lines.push(s) } }).child({ volume: 'cr_a' });
    log.info(ev('volume-opened', { source: 'keyfile:/k' }), 'volume opened');
    log.warn(ev('volume-busy'), 'volume busy, retrying in 250 ms');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { level: 30, time: expect.any(Number), volume: 'cr_a', event: 'volume-opened', source: 'keyfile:/k', msg: 'volume opened' },
      { level: 40, time: expect.any(Number), volume: 'cr_a', event: 'volume-busy', msg: 'volume busy, retrying in 250 ms' },
    ]);
    // A name outside the list does not compile.
    // @ts-expect-error 'volume-opend' is not a LogEvent
    const typo: LogEvent = 'volume-opend';
    expect(typo).toBe('volume-opend');
  });
});
