#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build fuse2pt's Debian source package and its binary packages
# fuse2pt-dkms and fuse2pt-utils from this tree (tracked and untracked
# files that git does not ignore; build/ left out).
#
#   packaging/build-deb.sh [OUTDIR]      (default: build/deb)
#
# OUTDIR gets the upstream tarball fuse2pt_V.orig.tar.xz (the tree as it
# is), the source package fuse2pt_V-R.dsc with fuse2pt_V-R.debian.tar.xz
# (packaging/debian as debian/), the .deb files, .buildinfo and .changes.
# Nothing is signed.  Needs: dpkg-dev, debhelper, dh-dkms, gcc (the
# script says what is missing).  V comes from VERSION; the first entry of
# debian/changelog (V-R) and dkms.conf must agree with it.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build/deb}
ver=$(cat "$top/VERSION")

die() { echo "build-deb: $*" >&2; exit 1; }

debver=$(sed -n '1s/^fuse2pt (\([^)]*\)).*/\1/p' "$top/packaging/debian/changelog")
[ "${debver%-*}" = "$ver" ] && [ "${debver%-*}" != "$debver" ] ||
	die "packaging/debian/changelog is at $debver but VERSION says $ver: add a changelog entry $ver-1"
dkver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
[ "$dkver" = "$ver" ] || die "dkms.conf has PACKAGE_VERSION $dkver but VERSION says $ver"

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/var/tmp}/fuse2pt-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
src=$work/fuse2pt-$ver
mkdir -p "$src"

# the upstream tree
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$top" ls-files -z -c -o --exclude-standard | (cd "$top" &&
		xargs -0 sh -c 'for f; do [ -f "$f" ] || continue
			case $f in build/*) continue ;; esac
			printf "%s\0" "$f"; done' sh) |
		(cd "$top" && cpio -0 -pdm --quiet "$src")
else
	(cd "$top" && tar --exclude=./.git --exclude=./build -cf - .) |
		tar -C "$src" -xf -
fi
rm -rf "$src/debian"
# the same tree gives the same tarball: names sorted, owner root, every
# mtime the changelog entry's date
date=$(sed -n 's/^ -- .*>  \(.*\)$/\1/p' "$top/packaging/debian/changelog" | head -n1)
(cd "$work" && tar --sort=name --owner=0 --group=0 --numeric-owner --mode=u+rw,go+r,go-w \
	--mtime="$date" -cf - "fuse2pt-$ver") | xz -6 > "$work/fuse2pt_$ver.orig.tar.xz"
cp -a "$top/packaging/debian" "$src/debian"

cd "$src"
dpkg-checkbuilddeps 2>&1 | sed 's/^dpkg-checkbuilddeps: error: /build-deb: missing build dependencies: /' >&2 ||
	true
dpkg-checkbuilddeps >/dev/null 2>&1 ||
	die "install them with: apt-get install --no-install-recommends build-essential debhelper dh-dkms"
dpkg-buildpackage -us -uc >"$work/build.log" 2>&1 || {
	tail -n 40 "$work/build.log" >&2
	die "dpkg-buildpackage failed"
}
for f in "$work"/*.orig.tar.xz "$work"/*.debian.tar.xz "$work"/*.dsc "$work"/*.deb \
	 "$work"/*.buildinfo "$work"/*.changes; do
	[ -e "$f" ] && mv "$f" "$out/"
done
ls "$out/fuse2pt_$debver.dsc" "$out/fuse2pt-dkms_${debver}_all.deb" "$out"/fuse2pt-utils_"$debver"_*.deb
