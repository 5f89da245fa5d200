#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once, cached) the trixie tree that is both the build chroot for
# the 7.3 kernel and the test programs, and the guest's userspace:
#   $CACHE/trixie                 debootstrap --variant=minbase trixie, plus
#                                 trixie-backports' 7.3 kernel and headers
#   $CACHE/kernels/7.3/KVER       that kernel's ABI name
#   $CACHE/kernels/7.3/root/boot  its vmlinuz and config (same layout as 6.1)
#   $CACHE/guest-base.cpio.zst    the guest userspace, as a zstd initramfs
# Everything is rebuilt when this script changes (its hash is the stamp).
set -euo pipefail
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/chroot.sh"

need_root

MIRROR=${FUSE2PT_MIRROR:-http://deb.debian.org/debian}
BASE=$CACHE/guest-base.cpio.zst

# Wanted in the chroot; names that do not exist in trixie are dropped.
PKGS=(make gcc libc6-dev libfuse3-dev libselinux1-dev pkg-config kmod
      util-linux mount procps findutils diffutils coreutils fio file strace
      xz-utils fuse3 attr acl bindfs squashfuse squashfs-tools fuse-overlayfs
      sshfs openssh-server openssh-client)
# Added since: installed into an existing chroot rather than rebuilding it
# (a rebuild would also fetch whatever trixie-backports kernel is newest).
# A new package goes here, not into PKGS.
# gocryptfs (Go, go-fuse) and rclone (Go): programs that run fusermount
# (case 75-any-program); bindfs above is the libfuse 2 program.
# g++: libfuse's passthrough_hp (C++) for make demo.
PKGS_ADDED=(udev gocryptfs rclone g++)

build_chroot() {
	local tmp=$CHROOT.new kver have=() p
	chroot_umount_all
	if [ -d "$tmp" ]; then
		CHROOT=$tmp chroot_umount_all
		rm -rf --one-file-system "$tmp"
	fi
	log "debootstrap trixie (minbase) into $tmp"
	debootstrap --variant=minbase trixie "$tmp" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$CACHE/debootstrap.log"; die "debootstrap failed (log: $CACHE/debootstrap.log)"; }

	cat > "$tmp/etc/apt/sources.list.d/trixie-backports.sources" <<-SRC
	Types: deb
	URIs: $MIRROR
	Suites: trixie-backports
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	SRC
	echo force-unsafe-io > "$tmp/etc/dpkg/dpkg.cfg.d/fuse2pt-unsafe-io"
	printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' \
		> "$tmp/etc/apt/apt.conf.d/90fuse2pt"

	# linux-image wants an initramfs generator; the guests boot with our
	# own initramfs, so satisfy the dependency with an empty package
	# instead of pulling in dracut and systemd.
	mkdir -p "$tmp/tmp/noinitrd/DEBIAN"
	cat > "$tmp/tmp/noinitrd/DEBIAN/control" <<-CTL
	Package: fuse2pt-no-initramfs
	Version: 1
	Architecture: all
	Maintainer: fuse2pt tests <root@localhost>
	Provides: linux-initramfs-tool
	Description: satisfies linux-image's initramfs dependency in the test chroot
	CTL

	CHROOT=$tmp
	chroot_run 'dpkg-deb -b /tmp/noinitrd /tmp/noinitrd.deb >/dev/null && dpkg -i /tmp/noinitrd.deb >/dev/null && rm -rf /tmp/noinitrd*'
	log "chroot: apt-get update"
	chroot_run 'apt-get update -qq'
	log "chroot: installing the trixie-backports kernel and headers"
	chroot_run 'apt-get install -y -qq -t trixie-backports linux-image-amd64 linux-headers-amd64 >/dev/null'
	for p in "${PKGS[@]}"; do
		if chroot_run "apt-cache show $p >/dev/null 2>&1"; then
			have+=("$p")
		else
			log "WARNING: package $p does not exist in trixie; dropped"
		fi
	done
	log "chroot: installing ${have[*]}"
	chroot_run "apt-get install -y -qq ${have[*]} >/dev/null"
	chroot_run 'apt-get clean'

	kver=$(ls "$tmp/usr/lib/modules" | sort -V | tail -n1)
	[ -n "$kver" ] && [ -f "$tmp/boot/vmlinuz-$kver" ] || die "no kernel installed in the chroot"
	[ -e "$tmp/usr/lib/modules/$kver/build/Makefile" ] || die "no headers for $kver in the chroot"

	CHROOT=$CACHE/trixie
	chroot_umount_all
	rm -rf --one-file-system "$CHROOT"
	mv "$tmp" "$CHROOT"
	echo "$CHROOT_STAMP" > "$CHROOT/.fuse2pt-stamp"
}

install_kernel_7_3() {
	local kver dir=$CACHE/kernels/7.3
	kver=$(ls "$CHROOT/usr/lib/modules" | sort -V | tail -n1)
	case $kver in 7.3*) ;; *) log "WARNING: trixie-backports kernel is $kver, not 7.3.x";; esac
	mkdir -p "$dir/root/boot"
	cp "$CHROOT/boot/vmlinuz-$kver" "$CHROOT/boot/config-$kver" "$dir/root/boot/"
	echo "$kver" > "$dir/KVER"
}

# The guest userspace: the chroot minus what only building needs.
pack_base() {
	local tmp=$BASE.tmp
	log "packing guest userspace into $BASE"
	(cd "$CHROOT" && { find . -xdev \
		\( -path ./boot -o -path ./usr/lib/modules -o -path ./usr/src \
		   -o -path ./usr/include -o -path ./usr/lib/gcc -o -path ./usr/libexec/gcc \
		   -o -path './usr/lib/linux-kbuild-*' -o -path ./build \
		   -o -path ./usr/share/doc -o -path ./usr/share/man -o -path ./usr/share/info \
		   -o -path ./usr/share/locale -o -path ./usr/share/i18n -o -path ./usr/share/lintian \
		   -o -path ./usr/share/gcc -o -path ./usr/share/perl \
		   -o -path ./var/lib/apt/lists -o -path ./var/cache/apt -o -path ./var/cache/debconf \
		   -o -path ./var/log -o -path ./dev -o -path ./proc -o -path ./sys \
		   -o -path ./tmp -o -path ./run -o -path ./init \
		   -o -path ./var/lib/dpkg/info -o -path ./usr/lib/x86_64-linux-gnu/gconv \
		   -o -name __pycache__ -o -name 'lib*san.so*' -o -name 'libgprofng*' \
		   -o -name '*.a' -o -name '*lto-dump*' -o -name 'x86_64-linux-gnu-gcc-*' \
		   -o -name 'x86_64-linux-gnu-cpp-*' \) -prune \
		   -o -print ; printf '%s\n' ./dev ./proc ./sys ./tmp ./run ./var/log; } |
		cpio -o -H newc --quiet) | zstd -q -T0 -6 > "$tmp"
	mv "$tmp" "$BASE"
	echo "$STAMP" > "$BASE.stamp"
	log "guest userspace: $(du -h "$BASE" | cut -f1)"
}

# The chroot is rebuilt when its recipe changes, the packed image when
# anything in this script changes.
CHROOT_STAMP=$( { declare -f build_chroot; echo "${PKGS[*]} $MIRROR"; } | sha256sum | cut -c1-16)
STAMP=$(sha256sum "$0" | cut -c1-16)

mkdir -p "$CACHE"
# Parallel runs sharing the cache wait for each other here.
exec {GI_LOCK}>>"$CACHE/guest-image.lock"
flock "$GI_LOCK"
if [ "$(cat "$CHROOT/.fuse2pt-stamp" 2>/dev/null)" != "$CHROOT_STAMP" ]; then
	build_chroot
	rm -f "$BASE.stamp"
fi
if [ "$(cat "$CHROOT/.fuse2pt-added" 2>/dev/null)" != "${PKGS_ADDED[*]}" ]; then
	log "chroot: installing ${PKGS_ADDED[*]}"
	chroot_run "apt-get update -qq && apt-get install -y -qq ${PKGS_ADDED[*]} >/dev/null && apt-get clean" ||
		die "cannot install ${PKGS_ADDED[*]} in the chroot"
	echo "${PKGS_ADDED[*]}" > "$CHROOT/.fuse2pt-added"
	rm -f "$BASE.stamp"
fi
install_kernel_7_3
if [ ! -f "$BASE" ] || [ "$(cat "$BASE.stamp" 2>/dev/null)" != "$STAMP" ]; then
	pack_base
fi
log "guest image ready: trixie chroot, kernel 7.3 = $(cat "$CACHE/kernels/7.3/KVER")"
