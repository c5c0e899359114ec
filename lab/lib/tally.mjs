// Pass/fail bookkeeping for the system test: every check is one line and counts in the final summary.
export class Tally {
  constructor() { this.passed = 0; this.failed = 0; this.failures = []; }

  check(name, ok, detail = '') {
    if (ok) this.passed++; else { this.failed++; this.failures.push(name); }
    process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}\n`);
    return ok;
  }

  /** A step that threw: the named checks it would have made all fail, with the reason. */
  fail(names, err) {
    for (const n of names) this.check(n, false, String(err?.message ?? err).split('\n')[0]);
  }

  summary() { return `${this.passed} passed, ${this.failed} failed`; }
}
