# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Debian's kernels beyond the host's own suite: apt lists, chroots and
# packages per suite group, kept under $CC_CACHE ($CACHE/range), never
# touching the host's apt.  Used by tests/host/compile-all.sh (headers of
# every suite, built W=1) and by the test harness for the kernels it
# boots from other suites (tests/run.sh tags 5.10, 6.12t, 7.2:
# range_kernel, range_build_module).  Source after common.sh and chroot.sh.
#
#   group      suites                                           compiler
#   bullseye   bullseye, bullseye-security                      gcc-10
#   bookworm   bookworm, bookworm-security, bookworm-backports  gcc-12
#   trixie     trixie, trixie-security, trixie-backports        gcc-14
#   sid        sid, experimental                                gcc-16
#
# A Debian headers package names its compiler (gcc-N in its Makefile),
# installs at absolute paths under /usr/src and runs host programs of its
# suite (linux-kbuild-*), so each group gets a chroot with that compiler
# and the packages are unpacked into it with dpkg -x (never installed:
# newer ones would pull in the kernel image).

CC_CACHE=${FUSE2PT_COMPILE_CACHE:-$CACHE/range}
MIRROR=${FUSE2PT_MIRROR:-http://deb.debian.org/debian}
SECURITY=${FUSE2PT_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
mkdir -p "$CC_CACHE"/{apt,debs,logs,results,chroot}

suites_of() {
	case $1 in
	bullseye) echo bullseye bullseye-security ;;
	bookworm) echo bookworm bookworm-security bookworm-backports ;;
	trixie)   echo trixie trixie-security trixie-backports ;;
	sid)      echo sid experimental ;;
	esac
}
# what debootstrap puts into a group's chroot: the compiler the group's
# headers name, the libraries their linux-kbuild programs need, pahole
# (dwarves) for the BTF of modules, perl and python3 for the kernel-doc
# check of W=1
chroot_pkgs() {
	case $1 in
	bullseye) echo gcc-10,make,libc6-dev,libelf1,libssl1.1,zlib1g,dwarves,bc,perl,python3 ;;
	bookworm) echo gcc-12,make,libc6-dev,libelf1,libssl3,zlib1g,dwarves,bc,perl,python3 ;;
	trixie)   echo gcc-14,gcc-14-for-host,make,libc6-dev,libelf1t64,libssl3t64,pahole,bc,perl,python3 ;;
	sid)      echo gcc-16,gcc-16-for-host,make,libc6-dev,libelf1t64,libssl3t64,pahole,bc,perl,python3 ;;
	esac
}

# apt on a group's suites without touching the host's own sources
apt_g() {	# GROUP apt-get/apt-cache ARGS...
	local d=$CC_CACHE/apt/$1 tool=$2
	shift 2
	"$tool" -q -o Dir::Etc::sourcelist="$d/sources.list" \
		-o Dir::Etc::sourceparts=/nonexistent \
		-o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache" \
		-o Dir::State::status=/dev/null \
		-o APT::Architecture=amd64 -o Debug::NoLocking=1 \
		-o APT::Sandbox::User=root "$@"
}

apt_update() {	# GROUP: its lists, at most 6 hours old
	local g=$1 d=$CC_CACHE/apt/$1 s uri
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	: > "$d/sources.list.new"
	for s in $(suites_of "$g"); do
		case $s in *-security) uri=$SECURITY ;; *) uri=$MIRROR ;; esac
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $s main" >> "$d/sources.list.new"
	done
	if ! cmp -s "$d/sources.list.new" "$d/sources.list" 2>/dev/null; then
		mv "$d/sources.list.new" "$d/sources.list"
		rm -f "$d/updated"
	else
		rm -f "$d/sources.list.new"
	fi
	if [ ! -f "$d/updated" ] || [ -n "$(find "$d/updated" -mmin +360)" ]; then
		log "apt lists of $(suites_of "$g")"
		apt_g "$g" apt-get update >/dev/null
		touch "$d/updated"
	fi
}

ensure_chroot() {	# GROUP
	local g=$1 dir=$CC_CACHE/chroot/$1
	if [ ! -x "$dir/usr/bin/make" ]; then
		log "debootstrap $g (once)"
		rm -rf "$dir.new"
		nice -n 10 debootstrap --variant=minbase --include="$(chroot_pkgs "$g")" \
			"$g" "$dir.new" "$MIRROR" > "$CC_CACHE/logs/debootstrap-$g.log" 2>&1 ||
			die "debootstrap $g failed: $CC_CACHE/logs/debootstrap-$g.log"
		mv "$dir.new" "$dir"
		chroot_pkgs "$g" > "$dir/var/lib/f2p-packages"
	fi
	# a chroot made when the list was shorter gets what it lacks
	if [ "$(cat "$dir/var/lib/f2p-packages" 2>/dev/null)" != "$(chroot_pkgs "$g")" ]; then
		log "$g chroot: installing $(chroot_pkgs "$g")"
		CHROOT=$dir chroot_run "apt-get install -y -qq --no-install-recommends $(chroot_pkgs "$g" | tr , ' ') >/dev/null" ||
			die "cannot install the $g chroot's packages"
		chroot_pkgs "$g" > "$dir/var/lib/f2p-packages"
	fi
}

# The headers package, its -common part and the linux-kbuild it names,
# unpacked into the group's chroot (their paths under /usr/src are
# absolute).  linux-kbuild-X.Y is shared by every X.Y package and its
# Depends asks for ">=": the newest the group's suites have is taken.
unpack_headers() {	# GROUP PACKAGE VERSION DEPENDS
	local g=$1 pkg=$2 ver=$3 deps=$4 dir=$CC_CACHE/chroot/$1 p want deb
	want=("$pkg=$ver")
	for p in $(echo "$deps" | tr ',|' '\n' | sed 's/(.*//'); do
		case $p in
		linux-headers-*-common*) want+=("$p=$ver") ;;
		linux-kbuild-*) want+=("$p") ;;
		esac
	done
	mkdir -p "$dir/var/lib/f2p-unpacked"
	for p in "${want[@]}"; do
		if [ "${p#*=}" = "$p" ]; then
			p="$p=$(apt_g "$g" apt-cache policy "$p" | awk '/Candidate:/ { print $2 }')"
		fi
		deb=$(deb_of "$g" "$p") || { log "cannot download $p"; return 1; }
		if [ ! -f "$dir/var/lib/f2p-unpacked/$(basename "$deb")" ]; then
			# only its usr/: dpkg-deb -x over the chroot would turn the
			# /lib -> usr/lib link into the directory of the package's
			# /lib/modules/KVER/build link (not needed here)
			rm -rf "$dir/var/tmp/f2p-deb"
			mkdir -p "$dir/var/tmp/f2p-deb"
			if ! dpkg-deb -x "$deb" "$dir/var/tmp/f2p-deb" ||
			   ! tar -C "$dir/var/tmp/f2p-deb" -cf - usr | tar -C "$dir" -xf -; then
				log "cannot unpack $deb"
				return 1
			fi
			rm -rf "$dir/var/tmp/f2p-deb"
			touch "$dir/var/lib/f2p-unpacked/$(basename "$deb")"
		fi
	done
}


# Every package of a group's lists: "SUITE PACKAGE VERSION DEPENDS" (the
# Depends with spaces removed), for packages whose name matches ERE.
list_packages() {	# GROUP ERE
	local g=$1 f s
	for f in "$CC_CACHE/apt/$g/lists/"*_dists_*_main_binary-amd64_Packages*; do
		s=${f##*_dists_}
		s=${s%%_main_*}
		/usr/lib/apt/apt-helper cat-file "$f" |
			awk -v s="$s" -v re="$2" '
			/^Package: / { p = $2 }
			/^Version: / { v = $2 }
			/^Depends: / { d = substr($0, 10); gsub(/ /, "", d) }
			/^$/ { if (p ~ re) print s, p, v, (d == "" ? "-" : d); p = d = "" }'
	done
}

# deb_of GROUP NAME=VERSION: the .deb in $CC_CACHE/debs, downloaded once
deb_of() {
	local g=$1 p=$2 v deb
	v=${p#*=}
	# apt's file name: NAME_VERSION_ARCH.deb, an epoch's ":" as %3a
	deb=$(find "$CC_CACHE/debs" -name "${p%%=*}_${v//:/%3a}_*.deb" | head -n 1)
	if [ -z "$deb" ]; then
		(cd "$CC_CACHE/debs" && apt_g "$g" apt-get download "$p" >/dev/null) || return 1
		deb=$(find "$CC_CACHE/debs" -name "${p%%=*}_${v//:/%3a}_*.deb" | head -n 1)
	fi
	[ -n "$deb" ] && echo "$deb"
}

# --- kernels booted from other suites ---
# TAG -> "GROUP SUITES-ERE KVER-ERE": the newest amd64 kernel of that
# series in those suites.
range_spec() {
	case $1 in
	5.10)  echo 'bullseye ^bullseye(-security)?$ ^5\.10\.0-[0-9]+-amd64$' ;;
	6.12t) echo 'trixie ^trixie(-security)?$ ^6\.12\.[0-9]+\+deb13-amd64$' ;;
	7.2)   echo 'sid ^sid$ ^7\.2\.[0-9]+\+deb[0-9]+-amd64$' ;;
	*)     return 1 ;;
	esac
}
is_range_tag() { range_spec "$1" > /dev/null 2>&1; }

# range_kernel TAG: the kernel's packages unpacked into $CACHE/kernels/TAG
# (KVER, GROUP, root/ with boot/ and lib/modules/), its headers into the
# group's chroot.  Debian's 7.x kernels split linux-image-KVER into
# linux-binary, linux-modules and linux-base, with vmlinuz and config in
# /usr/lib/modules/KVER; all are taken, and boot/ links to those two.
range_kernel() {
	local tag=$1 g sre kre best dir p v deps want=() deb hv hdeps
	read -r g sre kre <<< "$(range_spec "$tag")" || die "unknown range kernel tag $tag"
	apt_update "$g"
	# "SUITE linux-image-KVER VERSION DEPENDS", the newest version
	best=$(list_packages "$g" '^linux-image-[0-9].*-amd64$' |
		awk -v sre="$sre" -v kre="$kre" '$1 ~ sre { k = $2; sub(/^linux-image-/, "", k); if (k ~ kre) print }' |
		sort -k3,3V | tail -n 1)
	[ -n "$best" ] || die "$tag: no kernel matching $kre in the $g suites"
	read -r _ p v deps <<< "$best"
	local kver=${p#linux-image-}
	dir=$CACHE/kernels/$tag
	if [ "$(cat "$dir/KVER" 2>/dev/null)" != "$kver" ] || [ ! -f "$dir/root/boot/vmlinuz-$kver" ]; then
		log "$tag: fetching kernel $kver ($v, $g)"
		want=("$p=$v")
		for p in $(echo "$deps" | tr ',|' '\n' | sed 's/(.*//'); do
			case $p in linux-binary-"$kver"|linux-modules-"$kver"|linux-base-"$kver") want+=("$p=$v") ;; esac
		done
		rm -rf "$dir"
		mkdir -p "$dir/root"
		for p in "${want[@]}"; do
			deb=$(deb_of "$g" "$p") || die "$tag: cannot download $p"
			dpkg-deb -x "$deb" "$dir/root" || die "$tag: cannot unpack $deb"
		done
		# 7.x keeps them in the modules directory: where the rest looks
		for p in vmlinuz config System.map; do
			if [ ! -e "$dir/root/boot/$p-$kver" ] && [ -f "$dir/root/usr/lib/modules/$kver/$p" ]; then
				mkdir -p "$dir/root/boot"
				ln -s "../usr/lib/modules/$kver/$p" "$dir/root/boot/$p-$kver"
			fi
		done
		[ -f "$dir/root/boot/vmlinuz-$kver" ] || die "$tag: no boot/vmlinuz-$kver in ${want[*]}"
		echo "$g" > "$dir/GROUP"
		echo "$kver" > "$dir/KVER"
	fi
	# its headers, with the -common and linux-kbuild packages they name
	read -r _ _ hv hdeps <<< "$(list_packages "$g" "^linux-headers-${kver//+/\\+}\$" | sort -k3,3V | tail -n 1)"
	[ -n "${hv:-}" ] || die "$tag: no linux-headers-$kver in the $g suites"
	ensure_chroot "$g"
	unpack_headers "$g" "linux-headers-$kver" "$hv" "$hdeps" || die "$tag: cannot unpack linux-headers-$kver"
}

# range_build_module TAG SRC LOG: build SRC (a copy of the sources inside
# the group's chroot, as a path on the host) against the kernel's headers
range_build_module() {
	local tag=$1 src=$2 log=$3 g kver dir
	g=$(cat "$CACHE/kernels/$tag/GROUP")
	kver=$(cat "$CACHE/kernels/$tag/KVER")
	dir=$CC_CACHE/chroot/$g
	case $src in "$dir"/*) ;; *) die "range_build_module: $src is not in the $g chroot" ;; esac
	CHROOT=$dir chroot_run "cd ${src#"$dir"} && make -j$(nproc) W=1 KVER=$kver KDIR=/usr/src/linux-headers-$kver" > "$log" 2>&1
}
