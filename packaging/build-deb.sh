#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build the Debian packages fuse2pt-dkms and fuse2pt-utils from this tree
# (tracked and untracked files that git does not ignore).
#
#   packaging/build-deb.sh [OUTDIR]      (default: build/deb)
#
# Needs: dpkg-dev, debhelper, dh-dkms, gcc (the script says what is
# missing).  The version comes from VERSION; debian/changelog and
# dkms.conf must agree with it.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build/deb}
ver=$(cat "$top/VERSION")

die() { echo "build-deb: $*" >&2; exit 1; }

clver=$(sed -n '1s/^fuse2pt (\([^)]*\)).*/\1/p' "$top/packaging/debian/changelog")
[ "$clver" = "$ver" ] ||
	die "packaging/debian/changelog is at $clver but VERSION says $ver: add a changelog entry"
dkver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
[ "$dkver" = "$ver" ] || die "dkms.conf has PACKAGE_VERSION $dkver but VERSION says $ver"

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/var/tmp}/fuse2pt-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
src=$work/fuse2pt-$ver
mkdir -p "$src"

if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$top" ls-files -z -c -o --exclude-standard | (cd "$top" &&
		xargs -0 sh -c 'for f; do [ -f "$f" ] || continue
			case $f in tests/*|build/*) continue ;; esac
			printf "%s\0" "$f"; done' sh) |
		(cd "$top" && cpio -0 -pdm --quiet "$src")
else
	(cd "$top" && tar --exclude=./.git --exclude=./tests --exclude=./build -cf - .) |
		tar -C "$src" -xf -
fi
rm -rf "$src/debian"
cp -a "$top/packaging/debian" "$src/debian"

cd "$src"
dpkg-checkbuilddeps 2>&1 | sed 's/^dpkg-checkbuilddeps: error: /build-deb: missing build dependencies: /' >&2 ||
	true
dpkg-checkbuilddeps >/dev/null 2>&1 ||
	die "install them with: apt-get install --no-install-recommends build-essential debhelper dh-dkms"
dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1 || {
	tail -n 40 "$work/build.log" >&2
	die "dpkg-buildpackage failed"
}
for f in "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes; do
	[ -e "$f" ] && mv "$f" "$out/"
done
ls "$out"/fuse2pt-dkms_"$ver"_all.deb "$out"/fuse2pt-utils_"$ver"_*.deb
