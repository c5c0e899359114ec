#!/usr/bin/env bash
# The whole test suite, as CI runs it: types, unit and integration tests (real cryptsetup, password agents,
# libvirtd, dbus-daemon), the bundle and the .deb, then the lab VM's system test (real dm-crypt, systemd,
# libvirtd). Ends with one line "tests: N passed, N failed" summing every test of every step.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
mkdir -p .cache
passed=0 failed=0

step() { # name, command…  — a step that is not a test runner counts as one test
  local name=$1; shift
  echo "=== $name" >&2
  local start=$SECONDS
  if "$@"; then passed=$((passed + 1)); echo "=== $name: ok ($((SECONDS - start)) s)" >&2
  else failed=$((failed + 1)); echo "=== $name: FAILED ($((SECONDS - start)) s)" >&2; fi
}

step typecheck npx tsc --noEmit

echo "=== vitest (unit + integration)" >&2
rm -f .cache/vitest.json
npx vitest run --reporter=default --reporter=json --outputFile.json=.cache/vitest.json
vrc=$?
if [ -f .cache/vitest.json ]; then
  read -r vp vf < <(node -e 'const r=require("./.cache/vitest.json");console.log(r.numPassedTests, r.numFailedTests + (r.numRuntimeErrorTestSuites||0))')
  passed=$((passed + vp)); failed=$((failed + vf))
fi
[ "$vrc" -ne 0 ] && [ "${vf:-0}" -eq 0 ] && failed=$((failed + 1))

step bundle+deb bash packaging/deb/build.sh

echo "=== lab system test" >&2
node lab/system-test.mjs 2>&1 | tee .cache/system-test.log
src=${PIPESTATUS[0]}
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' .cache/system-test.log | tail -n 1)
if [ -n "$line" ]; then
  passed=$((passed + $(echo "$line" | awk '{print $1}'))); failed=$((failed + $(echo "$line" | awk '{print $3}')))
fi
[ "$src" -ne 0 ] && [ -z "$line" ] && failed=$((failed + 1))

echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
