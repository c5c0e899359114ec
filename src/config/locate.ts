// Maps each key of a (syntactically valid) TOML file to its 1-based line, so schema problems, which only know
// a path, can name the line. Keys read "daemon.boot_wait", "volume#2.mount.where", "volume#1.keys[0]":
// array-of-tables entries count from 1 like the [[volume]] tables an admin sees, array elements from 0.
// A small recursive scanner rather than a second TOML parser: smol-toml has already accepted the text.

const PARENT = /(\.[^.[]*|\[\d+\]|#\d+)$|^[^.[#]*$/;

export type LineOf = (key: string) => number;

export function locateLines(text: string): LineOf {
  const lines = new Map<string, number>();
  const arrayCounts = new Map<string, number>();
  let pos = 0;
  let line = 1;

  const peek = (n = 1): string => text.slice(pos, pos + n);
  const advance = (n = 1): void => {
    for (let i = 0; i < n && pos < text.length; i++, pos++) if (text[pos] === '\n') line++;
  };
  const skipSpace = (newlines: boolean): void => {
    for (;;) {
      const c = peek();
      if (c === ' ' || c === '\t' || c === '\r' || (newlines && c === '\n')) advance();
      else if (c === '#') while (pos < text.length && peek() !== '\n') advance();
      else return;
    }
  };
  const record = (key: string): void => {
    if (!lines.has(key)) lines.set(key, line);
  };
  const join = (prefix: string, seg: string): string => (prefix === '' ? seg : `${prefix}.${seg}`);

  // A string of any of TOML's four kinds, returning its raw content (keys use only the one-line kinds).
  const readString = (): string => {
    const q = peek(3) === '"""' || peek(3) === "'''" ? peek(3) : peek();
    advance(q.length);
    const start = pos;
    while (pos < text.length && peek(q.length) !== q) advance(q[0] === '"' && peek() === '\\' ? 2 : 1);
    const s = text.slice(start, pos);
    advance(q.length);
    // A multi-line string may end with up to two extra quotes (""""" is legal).
    if (q.length === 3) while (peek() === q[0]) advance();
    return s;
  };
  const readKey = (terminators: string): string[] => {
    const segs: string[] = [];
    for (;;) {
      skipSpace(false);
      if (peek() === '"' || peek() === "'") segs.push(readString());
      else {
        const start = pos;
        while (pos < text.length && !terminators.includes(peek()) && !' \t.'.includes(peek())) advance();
        segs.push(text.slice(start, pos));
      }
      skipSpace(false);
      if (peek() !== '.') return segs;
      advance();
    }
  };
  const readValue = (key: string): void => {
    skipSpace(false);
    const c = peek();
    if (c === '"' || c === "'") readString();
    else if (c === '[') {
      advance();
      for (let i = 0; ; i++) {
        skipSpace(true);
        if (peek() === ']' || pos >= text.length) break;
        record(`${key}[${i}]`);
        readValue(`${key}[${i}]`);
        skipSpace(true);
        if (peek() === ',') advance();
      }
      advance();
    } else if (c === '{') {
      advance();
      for (;;) {
        skipSpace(false);
        if (peek() === '}' || pos >= text.length) break;
        const sub = readKey('=}').reduce(join, key);
        record(sub);
        advance(); // '='
        readValue(sub);
        skipSpace(false);
        if (peek() === ',') advance();
      }
      advance();
    } else while (pos < text.length && !',]}\n#'.includes(peek())) advance();
  };

  let table = '';
  while (pos < text.length) {
    skipSpace(true);
    if (pos >= text.length) break;
    if (peek() === '[') {
      const isArray = peek(2) === '[[';
      advance(isArray ? 2 : 1);
      const segs = readKey(']');
      advance(isArray ? 2 : 1);
      table = '';
      segs.forEach((seg, i) => {
        table = join(table, seg);
        const n = arrayCounts.get(table);
        if (isArray && i === segs.length - 1) {
          arrayCounts.set(table, (n ?? 0) + 1);
          table = `${table}#${(n ?? 0) + 1}`;
        } else if (n !== undefined) table = `${table}#${n}`;
      });
      record(table);
    } else {
      const key = readKey('=').reduce(join, table);
      record(key);
      advance(); // '='
      readValue(key);
    }
  }

  return (key: string): number => {
    // The key itself, else its nearest enclosing key that is written in the file (a missing key → its table).
    for (let k = key, prev = ''; k !== '' && k !== prev; prev = k, k = k.replace(PARENT, '')) {
      const found = lines.get(k);
      if (found !== undefined) return found;
    }
    return 0;
  };
}
