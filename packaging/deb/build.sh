#!/bin/bash
# `npm run deb`: builds dist/cryptvm_<version>-1_all.deb from a staged tree with dpkg-deb (no debhelper).
#
#   packaging/deb/build.sh [--outdir DIR]
#
# The bundles are rebuilt first when dist/ is missing or older than src/, package.json or the bundler.
# The version is package.json's; packaging/deb/changelog must have "<version>-1" as its latest entry.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/packaging/deb"
outdir="$root/dist"
while [ $# -gt 0 ]; do
    case "$1" in
        --outdir) outdir="$(mkdir -p "$2" && cd "$2" && pwd)"; shift 2 ;;
        *) echo "build.sh: unknown argument '$1'; usage: build.sh [--outdir DIR]" >&2; exit 2 ;;
    esac
done

version="$(node -p "require('$root/package.json').version")"
debversion="${version}-1"
changelog_version="$(sed -n '1s/^cryptvm (\([^)]*\)).*/\1/p' "$here/changelog")"
if [ "$changelog_version" != "$debversion" ]; then
    echo "build.sh: packaging/deb/changelog's latest entry is '$changelog_version' but package.json says" \
         "'$version'; add a changelog entry for $debversion at the top." >&2
    exit 1
fi

# Rebuild the bundles when any input is newer than either of them.
bundles=("$root/dist/cryptvmd.mjs" "$root/dist/cryptvm.mjs")
stale=no
for b in "${bundles[@]}"; do
    if [ ! -f "$b" ] || [ -n "$(find "$root/src" "$root/package.json" "$root/scripts/bundle.mjs" -newer "$b" -print -quit)" ]; then
        stale=yes
    fi
done
if [ "$stale" = yes ]; then
    node "$root/scripts/bundle.mjs" --quiet
fi

# Reproducible timestamps: the changelog's date (dpkg-deb clamps file times to SOURCE_DATE_EPOCH).
SOURCE_DATE_EPOCH="$(date -d "$(sed -n 's/^ -- .*>  //p' "$here/changelog" | head -n1)" +%s)"
export SOURCE_DATE_EPOCH

stage="$(mktemp -d "${TMPDIR:-/tmp}/cryptvm-deb.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
umask 022

inst() { # inst MODE SRC DEST
    install -D -m "$1" "$2" "$stage$3"
}
manpage() { # manpage SECTION NAME
    mkdir -p "$stage/usr/share/man/man$1"
    gzip -9n -c "$root/docs/man/$2.$1" > "$stage/usr/share/man/man$1/$2.$1.gz"
    chmod 0644 "$stage/usr/share/man/man$1/$2.$1.gz"
}

# The bundles keep their .mjs name: Node decides ESM vs CommonJS by the extension (an extensionless file is
# CommonJS, and `import` then fails), and it resolves a symlinked main script to its real path first.
inst 0755 "$root/dist/cryptvmd.mjs" /usr/lib/cryptvm/cryptvmd.mjs
inst 0755 "$root/dist/cryptvm.mjs" /usr/lib/cryptvm/cryptvm.mjs
mkdir -p "$stage/usr/sbin" "$stage/usr/bin"
ln -s ../lib/cryptvm/cryptvmd.mjs "$stage/usr/sbin/cryptvmd"
ln -s ../lib/cryptvm/cryptvm.mjs "$stage/usr/bin/cryptvm"
inst 0644 "$root/systemd/cryptvm.service" /lib/systemd/system/cryptvm.service
inst 0644 "$root/systemd/cryptvm-guests.service" /lib/systemd/system/cryptvm-guests.service
inst 0644 "$root/packaging/dbus/org.cryptvm.Manager1.conf" /usr/share/dbus-1/system.d/org.cryptvm.Manager1.conf
inst 0644 "$root/packaging/cryptvm.toml" /etc/cryptvm/cryptvm.toml
install -d -m 0700 "$stage/etc/cryptvm/keys"
manpage 8 cryptvm
manpage 8 cryptvmd
manpage 5 cryptvm.toml
inst 0644 "$here/copyright" /usr/share/doc/cryptvm/copyright
mkdir -p "$stage/usr/share/doc/cryptvm"
gzip -9n -c "$here/changelog" > "$stage/usr/share/doc/cryptvm/changelog.Debian.gz"
chmod 0644 "$stage/usr/share/doc/cryptvm/changelog.Debian.gz"
# Fleet examples (docs/fleet.md): Prometheus alert rules with their promtool tests, a [notify] command.
inst 0644 "$root/packaging/monitoring/cryptvm-alerts.yml" /usr/share/doc/cryptvm/examples/cryptvm-alerts.yml
inst 0644 "$root/packaging/monitoring/cryptvm-alerts.test.yml" /usr/share/doc/cryptvm/examples/cryptvm-alerts.test.yml
inst 0644 "$root/packaging/notify/tell-admin-mail" /usr/share/doc/cryptvm/examples/tell-admin-mail
# Directories other than /etc/cryptvm/keys are 0755 whatever the caller's umask was.
find "$stage" -type d ! -path "$stage/etc/cryptvm/keys" -exec chmod 0755 {} +

mkdir -p "$stage/DEBIAN"
for s in postinst prerm postrm; do
    install -m 0755 "$here/$s" "$stage/DEBIAN/$s"
done
echo /etc/cryptvm/cryptvm.toml > "$stage/DEBIAN/conffiles"
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z \
    | xargs -0 md5sum) > "$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/conffiles" "$stage/DEBIAN/md5sums"

installed_size="$(du -sk --exclude=DEBIAN "$stage" | cut -f1)"
sed -e "s/@VERSION@/$debversion/" -e "s/@INSTALLED_SIZE@/$installed_size/" "$here/control.in" \
    > "$stage/DEBIAN/control"
chmod 0644 "$stage/DEBIAN/control"

deb="$outdir/cryptvm_${debversion}_all.deb"
mkdir -p "$outdir"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb  $(( $(stat -c %s "$deb") / 1024 )) KB"
