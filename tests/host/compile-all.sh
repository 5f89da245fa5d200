#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build fuse2pt with W=1 against the linux-headers packages of Debian's
# archive for amd64, each with the compiler and libc of its own suite,
# and print one line per package and "N passed, N failed" (and how many
# were refused or not available).  A package passes when the module
# builds with no warning at all; one older than fuse2pt supports (5.10)
# must be refused by the Makefile's floor check and is counted apart.
# The exit status is 0 when nothing failed.  Nothing is booted and
# nothing is installed on the host.
#
#   tests/host/compile-all.sh            the newest package of each kernel
#                                        series in each suite (e.g. bookworm's
#                                        6.1.0-N and its security 6.12.N)
#   FUSE2PT_COMPILE_ALL=1 ...            every version the archive holds
#   FUSE2PT_FLAVORS="amd64 cloud-amd64 rt-amd64" ...   more flavors (default amd64)
#   FUSE2PT_COMPILE_ONLY=REGEX ...       only packages whose name matches
#   FUSE2PT_PROBES_OFF="F2P_HAVE_X ..."  build as if the kernels lacked those
#                                        probes (compat/probe.sh)
#
# Suites and where their packages are built:
#   bullseye, bullseye-security                          bullseye chroot (gcc-10)
#   bookworm, bookworm-security, bookworm-backports      bookworm chroot (gcc-12)
#   trixie, trixie-security, trixie-backports            trixie chroot (gcc-14)
#   sid, experimental                                    sid chroot (gcc-16)
# A Debian headers package names its compiler (gcc-N in its Makefile),
# installs at absolute paths under /usr/src and runs host programs of its
# suite (linux-kbuild-*), so each group gets a chroot with that compiler
# and the packages are unpacked into it with dpkg -x (never installed:
# newer ones would pull in the kernel image).
#
# Everything is kept under $FUSE2PT_COMPILE_CACHE ($CACHE/range): apt lists
# per group (refreshed after 6 hours), the .debs, the chroots, and one
# result per package, reused while the sources (Kbuild, Makefile,
# VERSION, src/, include/, compat/ but its .md) and F2P_PROBES_OFF are
# unchanged.  A
# changed source rebuilds from scratch, so every warning is seen again.
# Logs: $FUSE2PT_COMPILE_CACHE/logs/PACKAGE.log.
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/chroot.sh"

need_root

CC_CACHE=${FUSE2PT_COMPILE_CACHE:-$CACHE/range}
MIRROR=${FUSE2PT_MIRROR:-http://deb.debian.org/debian}
SECURITY=${FUSE2PT_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
FLAVORS=${FUSE2PT_FLAVORS:-amd64}
ONLY=${FUSE2PT_COMPILE_ONLY:-}
OFF=${FUSE2PT_PROBES_OFF:-}
mkdir -p "$CC_CACHE"/{apt,debs,logs,results,chroot}
# one run at a time: runs share the chroots' build and unpack directories
exec {run_lock}>"$CC_CACHE/.lock"
flock -n "$run_lock" || die "another compile-all.sh is running (lock $CC_CACHE/.lock)"

GROUPS_ALL=(bullseye bookworm trixie sid)
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

# "SUITE PACKAGE VERSION DEPENDS" for each headers package of a group
list_headers() {	# GROUP
	local g=$1 f s
	for f in "$CC_CACHE/apt/$g/lists/"*_dists_*_main_binary-amd64_Packages*; do
		s=${f##*_dists_}
		s=${s%%_main_*}
		/usr/lib/apt/apt-helper cat-file "$f" |
			awk -v s="$s" '
			/^Package: / { p = $2 }
			/^Version: / { v = $2 }
			/^Depends: / { d = substr($0, 10); gsub(/ /, "", d) }
			/^$/ { if (p ~ /^linux-headers-[0-9].*-amd64$/) print s, p, v, d; p = d = "" }'
	done
}

# Which packages to build: the flavors asked for; unless FUSE2PT_COMPILE_ALL,
# only the newest of each series (X.Y and its deb suffix: 6.1.0-N,
# 6.1.0-0.deb11.N, 6.12.N+deb12) in each suite.  A package that is that
# in two suites (trixie and trixie-security) is built once.
select_headers() {	# reads list_headers lines
	awk -v fls=" $FLAVORS " -v all="${FUSE2PT_COMPILE_ALL:-}" -v only="$ONLY" '
	# metapackages (linux-headers-6.12-amd64 of bookworm-security) hold nothing
	$4 !~ /linux-headers-[^,]*-common/ { next }
	{
		ser = $2; sub(/^linux-headers-/, "", ser)
		match(ser, /-((cloud|rt)-)?amd64$/)
		fla = substr(ser, RSTART + 1); ser = substr(ser, 1, RSTART - 1)
		if (index(fls, " " fla " ") == 0 || (only != "" && $2 !~ only))
			next
		# the series: X.Y and the deb tag of backported builds
		match(ser, /^[0-9]+\.[0-9]+/); xy = substr(ser, 1, RLENGTH)
		tag = ""
		if (match(ser, /(\+deb[0-9]+|-0\.deb[0-9]+)/)) tag = substr(ser, RSTART, RLENGTH)
		key = $1 " " xy tag " " fla
		line[NR] = $0; keyof[NR] = key
		cmd = "dpkg --compare-versions \"" $3 "\" gt \"" best[key] "\""
		if (best[key] == "" || system(cmd) == 0) { best[key] = $3; bestn[key] = NR }
	}
	END {
		for (n = 1; n <= NR; n++) {
			if (!(n in line))
				continue
			split(line[n], f, " ")
			if ((all != "" || bestn[keyof[n]] == n) && !seen[f[2] "=" f[3]]++)
				print line[n]
		}
	}' | sort -k2,2V
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
	local g=$1 pkg=$2 ver=$3 deps=$4 dir=$CC_CACHE/chroot/$1 p v want deb
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
		# apt's file name: NAME_VERSION_ARCH.deb, an epoch's ":" as %3a
		v=${p#*=}
		deb=$(find "$CC_CACHE/debs" -name "${p%%=*}_${v//:/%3a}_*.deb" | head -n 1)
		if [ -z "$deb" ]; then
			(cd "$CC_CACHE/debs" && apt_g "$g" apt-get download "$p" >/dev/null) ||
				{ log "cannot download $p"; return 1; }
			deb=$(find "$CC_CACHE/debs" -name "${p%%=*}_${v//:/%3a}_*.deb" | head -n 1)
		fi
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

# what the build depends on in this tree, and the probes forced off
sources_key() {
	(cd "$TOP" && find Kbuild Makefile VERSION src include compat -type f \
		! -path 'include/generated/*' ! -name '*.md' -print0 | sort -z | xargs -0 sha256sum
	 echo "off: $OFF") | sha256sum | cut -c1-16
}

# Build against one package; prints its result line.  The result is kept
# with the key of the sources and package it was made from.
build_one() {	# GROUP SUITE PACKAGE VERSION
	local g=$1 suite=$2 pkg=$3 ver=$4 kver key res log cc dir b rc=0 warn
	kver=${pkg#linux-headers-}
	key="$SKEY $ver"
	res=$CC_CACHE/results/$pkg
	log=$CC_CACHE/logs/$pkg.log
	if [ -f "$res" ] && [ "$(head -n 1 "$res")" = "$key" ]; then
		sed -n 2p "$res"
		return 0
	fi
	dir=$CC_CACHE/chroot/$g
	b=/f2p-build/$kver
	rm -rf "${dir:?}$b"
	mkdir -p "$dir$b"
	(cd "$TOP" && tar -cf - --exclude=include/generated Kbuild Makefile VERSION src include compat \
		) | tar -xf - -C "$dir$b"
	cc=$(sed -n 's/^CC = .*)\(gcc-[0-9]*\)$/\1/p' "$dir/usr/src/linux-headers-$kver/.kernelvariables" 2>/dev/null || true)
	cc=$(CHROOT=$dir chroot_run "${cc:-gcc} -dumpfullversion" 2>/dev/null | sed "s/^/${cc:-gcc} /" || echo "${cc:-gcc} ?")
	CHROOT=$dir chroot_run "cd $b && nice -n 10 make -j2 W=1 KVER=$kver KDIR=/usr/src/linux-headers-$kver F2P_PROBES_OFF='$OFF'" \
		> "$log" 2>&1 || rc=$?
	warn=$(grep -c 'warning:' "$log" || true)
	local verdict=ok
	if [ $rc != 0 ] && grep -q 'fuse2pt needs Linux' "$log"; then
		verdict="refused ($(grep -m 1 -o 'fuse2pt needs Linux [^;]*' "$log"))"
	elif [ $rc != 0 ]; then
		verdict="FAIL (build: $(grep -m 1 -E 'error:|Error|error,' "$log" | sed 's/^.*\/f2p-build\/[^/]*\///' | cut -c1-90))"
	elif [ "$warn" != 0 ]; then
		verdict="FAIL (warnings)"
	fi
	rm -rf "${dir:?}$b"
	printf '%-22s %-28s %-20s %-11s %2s warnings  %s\n' "$suite" "$ver" "$kver" "$cc" "$warn" "$verdict" |
		tee "$res.new"
	# a build that never reached the compiler (a broken chroot) is not
	# an answer about the sources: not kept
	if grep -q 'PROBE\|Entering directory' "$log"; then
		printf '%s\n%s\n' "$key" "$(cat "$res.new")" > "$res"
	fi
	rm -f "$res.new"
}

SKEY=$(sources_key)
start=$SECONDS
pass=0 fail=0 skip=0 refused=0
printf '%-22s %-28s %-20s %-11s %s\n' suite version kernel compiler result
for g in "${GROUPS_ALL[@]}"; do
	apt_update "$g"
	mapfile -t pkgs < <(list_headers "$g" | select_headers)
	[ ${#pkgs[@]} -gt 0 ] || continue
	ensure_chroot "$g"
	for l in "${pkgs[@]}"; do
		read -r suite pkg ver deps <<< "$l"
		# listed but not served (the mirror answers 404): no build, no verdict
		if ! unpack_headers "$g" "$pkg" "$ver" "$deps" 2>>"$CC_CACHE/logs/download.log"; then
			printf '%-22s %-28s %-20s %-11s %s\n' "$suite" "$ver" "${pkg#linux-headers-}" - \
				"SKIP (listed, but the archive did not serve it: logs/download.log)"
			skip=$((skip + 1))
			continue
		fi
		out=$(build_one "$g" "$suite" "$pkg" "$ver")
		echo "$out"
		case $out in
		*"warnings  ok") pass=$((pass + 1)) ;;
		*"warnings  refused"*) refused=$((refused + 1)) ;;
		*) fail=$((fail + 1)) ;;
		esac
	done
done
log "compile-all: $((SECONDS - start)) s; logs in $CC_CACHE/logs"
echo "$pass passed, $fail failed$([ "$refused" = 0 ] || echo ", $refused refused (older than fuse2pt supports)")$([ "$skip" = 0 ] || echo ", $skip not available")"
[ "$fail" = 0 ]
