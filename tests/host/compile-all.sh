#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build fuse2pt with W=1 against the linux-headers packages of Debian's
# archive for amd64, each with the compiler and libc of its own suite,
# and print one line per package and "N passed, N failed" (and how many
# were refused or not available).  A package passes when the module
# builds with no warning at all; one older than fuse2pt supports (none
# in these suites now: bullseye's 5.10 is the floor) must be refused by
# the Makefile's floor check and is counted apart.
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
# Suites, the chroots their packages are built in and the caches: see
# tests/lib/range.sh.
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/chroot.sh"
. "$TOP/tests/lib/range.sh"

need_root

FLAVORS=${FUSE2PT_FLAVORS:-amd64}
ONLY=${FUSE2PT_COMPILE_ONLY:-}
OFF=${FUSE2PT_PROBES_OFF:-}
# one run at a time: runs share the chroots' build and unpack directories
exec {run_lock}>"$CC_CACHE/.lock"
flock -n "$run_lock" || die "another compile-all.sh is running (lock $CC_CACHE/.lock)"

GROUPS_ALL=(bullseye bookworm trixie sid)
# "SUITE PACKAGE VERSION DEPENDS" for each headers package of a group
list_headers() { list_packages "$1" '^linux-headers-[0-9].*-amd64$'; }

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
