#!/usr/bin/env bash
# Installs what building, testing and the lab need on Debian 12: Debian packages (apt-get, only when some
# are missing) and the npm dependencies (npm ci, only when node_modules is older than the lock file).
# Idempotent and quick when everything is there; `npm test` and `npm run lab` call it first.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  # unit under test: what cryptvmd runs in production
  cryptsetup-bin dmsetup systemd dbus-daemon libvirt-clients libvirt-daemon mount util-linux libglib2.0-bin
  # tests: password agents answered for real, a private dbus-daemon, the kernel keyring
  keyutils tang clevis clevis-luks jose socat curl openssl
  # metrics: node_exporter serves the textfile, promtool checks metrics and unit-tests the alert rules
  prometheus-node-exporter prometheus
  # packaging: the .deb and its checks
  dpkg-dev lintian groff-base groff man-db mandoc rpm fakeroot
  # the lab VM: image build, guest kernel, emulator
  mmdebstrap debian-archive-keyring e2fsprogs qemu-system-x86 qemu-utils gcc binutils swtpm swtpm-tools tang socat
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  if [ "$(id -u)" -ne 0 ]; then echo "setup: run as root (apt-get install needs it)" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund >/dev/null
fi
