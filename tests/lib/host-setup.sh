#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepare a Debian 12 host for building fuse2pt and booting test guests:
# packages, bookworm's 6.1 and bookworm-backports' 6.12 headers (installed,
# so /lib/modules/KVER/build exists) and their kernel images (unpacked into
# the cache, never installed on the host). Idempotent; safe to re-run.
set -euo pipefail
. "$(dirname "$0")/common.sh"

need_root

if [ ! -f /etc/apt/sources.list.d/bookworm-backports.sources ] &&
   ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d; then
	log "adding bookworm-backports to apt sources"
	cat > /etc/apt/sources.list.d/bookworm-backports.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi

stamp="$CACHE/.apt-updated"
if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +360 2>/dev/null)" ]; then
	log "apt-get update"
	apt-get update -qq
	touch "$stamp"
fi

host_pkgs=(build-essential make gcc sparse kmod bc flex bison libelf-dev
	   qemu-system-x86 debootstrap cpio zstd xz-utils
	   libfuse3-dev pkg-config dkms e2fsprogs)
missing=()
for p in "${host_pkgs[@]}"; do
	dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing host packages: ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Resolve the concrete kernel ABI name behind a suite's metapackage.
kabi_of() {	# $1 = apt target release ("" for default)
	local v
	if [ -n "$1" ]; then
		v=$(apt-cache madison linux-image-amd64 | awk -v s="$1" '$0 ~ s {print $3; exit}')
	else
		v=$(apt-cache policy linux-image-amd64 | awk '/Candidate:/ {print $2}')
	fi
	apt-cache show "linux-image-amd64=$v" | awk -F': ' '/^Depends:/ {print $2; exit}' |
		tr ',' '\n' | sed -n 's/^ *linux-image-\([^ ]*\)-amd64.*/\1-amd64/p' | head -n1
}

fetch_kernel() {	# $1 = name in cache (6.1 / 6.12), $2 = target release
	local tag=$1 rel=$2 kver dir
	kver=$(kabi_of "$rel")
	[ -n "$kver" ] || die "cannot resolve kernel for ${rel:-bookworm}"
	dir="$CACHE/kernels/$tag"
	if [ ! -f "$dir/KVER" ] || [ "$(cat "$dir/KVER")" != "$kver" ]; then
		log "fetching kernel $kver (${rel:-bookworm})"
		rm -rf "$dir"; mkdir -p "$dir/deb"
		(cd "$dir/deb" && apt-get download -qq "linux-image-$kver" >/dev/null 2>&1 ||
			apt-get download -qq "linux-image-$kver-unsigned")
		dpkg-deb -x "$dir"/deb/*.deb "$dir/root"
		rm -rf "$dir/deb"
		echo "$kver" > "$dir/KVER"
	fi
	if [ ! -e "/lib/modules/$kver/build" ]; then
		log "installing headers for $kver"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			${rel:+-t "$rel"} "linux-headers-$kver" >/dev/null
	fi
}

mkdir -p "$CACHE/kernels"
fetch_kernel 6.1 ""
fetch_kernel 6.12 bookworm-backports
log "host ready: $(cat "$CACHE/kernels/6.1/KVER") $(cat "$CACHE/kernels/6.12/KVER")"
