#!/usr/bin/env bash
# Installs what building, testing and the lab need on Debian 12: Debian packages (apt-get, only when some
# are missing) and the npm dependencies (npm ci, only when node_modules is older than the lock file).
# Idempotent and quick when everything is there; `npm test` and `npm run lab` call it first.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  # unit under test: what cryptvmd runs in production
  cryptsetup-bin dmsetup systemd dbus-daemon libvirt-clients libvirt-daemon mount util-linux libglib2.0-bin
  # the units it ships order against libvirt's (virt-guest-shutdown.target, libvirtd.service): systemd-analyze
  # verify needs them. Installed without starting a daemon, see below.
  libvirt-daemon-system
  # npm ci: node-pty has no Linux prebuild, node-gyp compiles it
  python3 make g++
  # tests: password agents answered for real, a private dbus-daemon, the kernel keyring
  keyutils tang clevis clevis-luks jose socat curl openssl
  # metrics: node_exporter serves the textfile, promtool checks metrics and unit-tests the alert rules
  prometheus-node-exporter prometheus
  # packaging: the .deb and its checks
  dpkg-dev lintian groff-base groff man-db mandoc rpm fakeroot
  # the lab VM: image build, guest kernel, emulator
  mmdebstrap debian-archive-keyring e2fsprogs qemu-system-x86 qemu-utils gcc binutils swtpm swtpm-tools tang socat
)

# One dpkg-query for the whole list (one per package took seconds); a package it does not know is missing.
# (dpkg-query exits 1 when it knows some of them not: that is what we are asking, hence || true.)
installed=" $(dpkg-query -W -f='${db:Status-Abbrev}${Package} ' "${PACKAGES[@]}" 2>/dev/null | grep -o 'ii *[^ ]*' | awk '{printf "%s ", $2}' || true) "
missing=()
for p in "${PACKAGES[@]}"; do
  case "$installed" in *" $p "*) ;; *) missing+=("$p") ;; esac
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  if [ "$(id -u)" -ne 0 ]; then echo "setup: run as root (apt-get install needs it)" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  # A package's daemons are not started here: libvirt-daemon-system would start libvirtd, virtlogd,
  # virtlockd and libvirt-guests on the CI host (or in the chroot of test/integration/setup/fresh-tree.test.ts,
  # where a running daemon would keep the tree busy). The tests need its unit files only and run their own
  # private libvirtd (test/helpers/libvirtd.ts); its default network (libvirt-daemon-config-network, a
  # Recommends) is not installed at all. invoke-rc.d and deb-systemd-invoke both ask policy-rc.d; exit 101
  # means "action forbidden". Only for this install and only when the admin has no policy of their own; on a
  # systemd host the units are still enabled as Debian does, so they start at the next boot.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# scripts/setup.sh of cryptvm: no daemon starts while it installs packages\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -q >/dev/null
  if ! out=$(apt-get install -y -q --no-install-recommends "${missing[@]}" 2>&1); then
    printf '%s\n' "$out" | tail -n 40 >&2
    echo "setup: apt-get install failed (its last lines above)" >&2
    exit 1
  fi
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund >/dev/null
fi
