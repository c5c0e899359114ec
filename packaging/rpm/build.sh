#!/bin/bash
# Builds dist/cryptvm-<version>-1.noarch.rpm with rpmbuild (Debian's `rpm` package works) from the bundles.
# __os_install_post is off: the spec compresses its man pages itself, and the brp-* scripts of Debian's rpm
# are not portable to dash.
#   packaging/rpm/build.sh [--outdir DIR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
outdir="$root/dist"
while [ $# -gt 0 ]; do
    case "$1" in
        --outdir) outdir="$(mkdir -p "$2" && cd "$2" && pwd)"; shift 2 ;;
        *) echo "build.sh: unknown argument '$1'; usage: build.sh [--outdir DIR]" >&2; exit 2 ;;
    esac
done
version="$(node -p "require('$root/package.json').version")"
node "$root/scripts/bundle.mjs" --quiet
top="$(mktemp -d "${TMPDIR:-/tmp}/cryptvm-rpm.XXXXXX")"
trap 'rm -rf "$top"' EXIT
mkdir -p "$top/SOURCES" "$top/RPMS"
tar -C "$root" -cf "$top/SOURCES/cryptvm-$version.tar" dist/cryptvmd.mjs dist/cryptvm.mjs systemd packaging docs/man
rpmbuild -bb --quiet --define "_topdir $top" --define "cryptvm_version $version" \
    --define "_build_id_links none" \
    --define "__os_install_post %{nil}" "$root/packaging/rpm/cryptvm.spec" >/dev/null
mkdir -p "$outdir"
cp "$top/RPMS/noarch/cryptvm-$version-1.noarch.rpm" "$outdir/"
echo "$outdir/cryptvm-$version-1.noarch.rpm"
