#!/usr/bin/env bash
# The whole test suite, as CI runs it: types, unit and integration tests (real cryptsetup, password agents,
# libvirtd, dbus-daemon), the bundle and the .deb, then the lab VM's system test (real dm-crypt, systemd,
# libvirtd). Prints one closing line "N passed, N failed" summing the suites.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1

passed=0 failed=0
step() { # name, command…
  local name=$1; shift
  echo "=== $name" >&2
  local start=$SECONDS
  if "$@"; then passed=$((passed + 1)); echo "=== $name: ok ($((SECONDS - start)) s)" >&2
  else failed=$((failed + 1)); echo "=== $name: FAILED ($((SECONDS - start)) s)" >&2; fi
}

step typecheck npx tsc --noEmit
step unit+integration npx vitest run
step bundle+deb bash packaging/deb/build.sh
step system node lab/system-test.mjs

echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
