// Counts a vitest JSON report (--reporter=json) for scripts/test-all.sh so that no test hides: every test of
// a file that could not run (a failing beforeAll, an import error) counts as failed — a file with no test
// collected counts as one — and so does every skipped or todo test where the suite has what it needs (root
// on Debian). Elsewhere skips are counted apart and named. Prints one line "P F S" (passed, failed,
// skipped) on stdout and names each problem on stderr.
//   node scripts/count-vitest.mjs REPORT.json [--strict]
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

const [file, flag] = process.argv.slice(2);
if (!file) {
  console.error('usage: count-vitest.mjs REPORT.json [--strict]');
  process.exit(2);
}
const strict = flag === '--strict';
const report = JSON.parse(readFileSync(file, 'utf8'));
let passed = 0;
let failed = 0;
let skipped = 0;
const say = (line) => console.error(`vitest: ${line}`);

for (const suite of report.testResults ?? []) {
  const name = suite.name.startsWith(process.cwd()) ? relative(process.cwd(), suite.name) : suite.name;
  const tests = suite.assertionResults ?? [];
  const ran = tests.filter((t) => t.status === 'passed' || t.status === 'failed');
  const notRun = tests.filter((t) => t.status !== 'passed' && t.status !== 'failed');
  passed += tests.filter((t) => t.status === 'passed').length;
  failed += tests.filter((t) => t.status === 'failed').length;
  const why = String(suite.message ?? '').split('\n')[0].slice(0, 300);
  if (suite.status === 'failed' && tests.length === 0) {
    failed += 1;
    say(`${name}: FAILED to load, no test collected${why ? `: ${why}` : ''}`);
  } else if (suite.status === 'failed' && notRun.length > 0) {
    // vitest reports the tests of a suite whose hook failed as skipped: they did not run, so they failed.
    failed += notRun.length;
    say(`${name}: ${notRun.length} test(s) could not run, counted as failed (${ran.length} ran): ${why || "a hook failed, vitest's output above names the error"}`);
  } else if (notRun.length > 0 && strict) {
    failed += notRun.length;
    for (const t of notRun) say(`${name} › ${t.fullName ?? t.title}: ${t.status}, counted as failed (root on Debian: nothing may be skipped)`);
  } else if (notRun.length > 0) {
    skipped += notRun.length;
    for (const t of notRun) say(`${name} › ${t.fullName ?? t.title}: ${t.status}`);
  }
}
console.log(`${passed} ${failed} ${skipped}`);
