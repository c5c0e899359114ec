#!/usr/bin/env bash
# The whole test suite, as CI runs it: types, unit and integration tests (real cryptsetup, password agents,
# libvirtd, dbus-daemon), the bundle and the .deb, then the lab VM's system test (real dm-crypt, systemd,
# libvirtd). Ends with one line "tests: N passed, N failed" summing every test of every step; a test that
# could not run (a failing beforeAll, an import error) is failed, and so is a skipped one as root on Debian.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
mkdir -p .cache
passed=0 failed=0 skipped=0

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
# Every test of a file that could not run counts as failed, and as root on Debian (where every suite has
# what it needs) so does every skipped test: see scripts/count-vitest.mjs.
strict=
[ "$(id -u)" -eq 0 ] && [ -f /etc/debian_version ] && strict=--strict
if [ -f .cache/vitest.json ] && read -r vp vf vs < <(node scripts/count-vitest.mjs .cache/vitest.json $strict); then
  passed=$((passed + vp)); failed=$((failed + vf)); skipped=$((skipped + vs))
fi
[ "$vrc" -ne 0 ] && [ "${vf:-0}" -eq 0 ] && { echo "=== vitest exited $vrc with no failed test counted: one failure" >&2; failed=$((failed + 1)); }

step bundle+deb bash packaging/deb/build.sh

echo "=== lab system test" >&2
node lab/system-test.mjs 2>&1 | tee .cache/system-test.log
src=${PIPESTATUS[0]}
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' .cache/system-test.log | tail -n 1)
if [ -n "$line" ]; then
  passed=$((passed + $(echo "$line" | awk '{print $1}'))); failed=$((failed + $(echo "$line" | awk '{print $3}')))
fi
[ "$src" -ne 0 ] && [ -z "$line" ] && failed=$((failed + 1))

if [ "$skipped" -gt 0 ]; then echo "tests: $passed passed, $failed failed, $skipped skipped (not root on Debian: the skips name what is missing)"
else echo "tests: $passed passed, $failed failed"; fi
[ "$failed" -eq 0 ]
