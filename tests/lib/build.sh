#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Building what the guests run.  Sourced by run.sh and demo.sh; run on its
# own ("tests/lib/build.sh [TAGS...]") it builds everything and the
# per-kernel initramfs images.
#
#   build_module TAG      fuse2pt.ko for kernel TAG -> $WORK/TAG/fuse2pt.ko
#                         ($WORK/TAG/build.status: "ok" or the reasons)
#   build_progs           test programs against trixie's libfuse 3.17 (in
#                         the chroot): libfuse's example servers and each
#                         tools/*.c and tests/*/*.c (one program per file,
#                         -Wall -Wextra, warnings fail); the bookworm host's
#                         3.14 builds of two examples (*-314); bookworm's
#                         libfuse.so.2 (lib/fuse2-bookworm); libfuse's
#                         passthrough_hp from the chroot's libfuse source
#                         -> $WORK/bin, $WORK/lib ($WORK/progs.status)
#   make_image TAG        base userspace + overlay -> $WORK/TAG/run.img
#   stage_ext4 TAG DIR    ext4, loop and overlay modules of kernel TAG (DIR/order: the
#                         order to load them in) and the host's mke2fs
#                         -> DIR/{mod,bin,lib} (the guest has no
#                         e2fsprogs; a scratch ext4 where tmpfs will not do)
#
# Kernel tags: 6.1, 6.12, 7.3 (Debian's kernels, $CACHE/kernels/TAG: the
# host's suite and the guest image's), 5.10, 6.12t, 7.2 (bullseye's,
# trixie's own 6.12 and sid's, $CACHE/kernels/TAG by range_kernel, built
# in their suite's chroot: tests/lib/range.sh) and
# 6.1-debug, 6.12-debug (built from Debian's source with KASAN, lockdep
# and the other checkers by tests/lib/debug-kernel.sh, $CACHE/debug/TAG:
# fuse2pt.ko is built against that build tree, and the image carries that
# kernel's own modules and its timeouts scaled by slow_of TAG).
#
# Sources are copied per kernel so builds never share object files.

[ -n "${TOP:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/common.sh"
. "$TOP/tests/lib/chroot.sh"
. "$TOP/tests/lib/range.sh"

WORK=${FUSE2PT_WORK:-$CACHE/work}
EXAMPLES=/usr/share/doc/libfuse3-dev/examples
GUEST_OPT=/opt/fuse2pt

# The directory with a kernel's KVER and its root/ (boot/vmlinuz-KVER,
# boot/config-KVER, lib/modules/KVER where the kernel has modules).
kroot_of() {
	case $1 in
	*-debug) echo "$CACHE/debug/$1" ;;
	*)       echo "$CACHE/kernels/$1" ;;
	esac
}
kver_of() { cat "$(kroot_of "$1")/KVER"; }
kconfig_of() { echo "$(kroot_of "$1")/root/boot/config-$(kver_of "$1")"; }

# How many times slower than the stock kernel a kernel runs the suite
# (under TCG): the debug kernels' guests get their timeouts multiplied by
# it (make_image, tests/run.sh).  FUSE2PT_DEBUG_SLOW overrides it.
slow_of() {
	case $1 in
	*-debug) echo "${FUSE2PT_DEBUG_SLOW:-4}" ;;
	*)       echo 1 ;;
	esac
}

# Build directory inside the shared chroot, private to this $WORK so that
# runs with different work directories can build at the same time.
CBUILD=/build/$(printf '%s' "$WORK" | md5sum | cut -c1-8)

# Copy the project's files (tracked and untracked, not ignored) to $1.
copy_sources() {
	local dest=$1 f
	rm -rf "$dest"
	mkdir -p "$dest"
	if git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$TOP" ls-files -z -c -o --exclude-standard |
		while IFS= read -r -d '' f; do
			case $f in tests/*|.git/*) continue ;; esac
			[ -f "$TOP/$f" ] || [ -L "$TOP/$f" ] || continue
			mkdir -p "$dest/$(dirname "$f")"
			cp -a "$TOP/$f" "$dest/$f"
		done
	else
		tar -C "$TOP" --exclude=./.git --exclude=./tests -cf - . | tar -C "$dest" -xf -
	fi
}

build_module() {
	local tag=$1 kver out src rc=0 cmd status=()
	kver=$(kver_of "$tag")
	out=$WORK/$tag
	rm -rf "$out"
	mkdir -p "$out"
	if [ ! -f "$TOP/Makefile" ] || ! ls "$TOP"/src/*.c >/dev/null 2>&1; then
		echo "module sources missing (no Makefile or src/*.c at $TOP)" > "$out/build.status"
		log "!!!! $tag: no module sources yet (Makefile, src/*.c): not building fuse2pt.ko"
		return 1
	fi
	cmd="make KVER=$kver W=1 -j$(nproc)"
	case $tag in *-debug) cmd="make KDIR=$(kroot_of "$tag")/src W=1 -j$(nproc)" ;; esac
	if is_range_tag "$tag"; then
		src=$CC_CACHE/chroot/$(cat "$(kroot_of "$tag")/GROUP")$CBUILD/src-$tag
		copy_sources "$src"
		log "building fuse2pt.ko for $tag ($kver) in the $(cat "$(kroot_of "$tag")/GROUP") chroot"
		range_build_module "$tag" "$src" "$out/build.log" || rc=$?
	elif [ "$tag" = 7.3 ]; then
		src=$CHROOT$CBUILD/src-$tag
		copy_sources "$src"
		log "building fuse2pt.ko for $tag ($kver) in the trixie chroot"
		chroot_run "cd $CBUILD/src-$tag && $cmd" > "$out/build.log" 2>&1 || rc=$?
	else
		src=$WORK/src-$tag
		copy_sources "$src"
		log "building fuse2pt.ko for $tag ($kver)"
		(cd "$src" && $cmd) > "$out/build.log" 2>&1 || rc=$?
	fi
	if [ $rc != 0 ] || [ ! -f "$src/fuse2pt.ko" ]; then
		status+=("build failed (make status $rc)")
	else
		cp "$src/fuse2pt.ko" "$out/fuse2pt.ko"
	fi
	if grep -Eq '(^|[^A-Za-z_])(warning|WARNING):' "$out/build.log"; then
		status+=("build printed warnings")
	fi
	if [ ${#status[@]} = 0 ]; then
		echo ok > "$out/build.status"
		return 0
	fi
	printf '%s\n' "${status[@]}" > "$out/build.status"
	log "!!!!!!!! $tag: fuse2pt.ko: ${status[*]} (log: $out/build.log) !!!!!!!!"
	grep -E -B2 -A3 '(^|[^A-Za-z_])(error|warning|WARNING):' "$out/build.log" | head -n 60 >&2 ||
		tail -n 30 "$out/build.log" >&2
	return 1
}

# Programs built in the chroot (trixie: gcc-14, libfuse 3.17).
_chroot_progs_script() {
	cat <<-'EOS'
	set -u
	cd "$(dirname "$0")"
	EX=/usr/share/doc/libfuse3-dev/examples
	FUSE=$(pkg-config --cflags --libs fuse3)
	VERSION=$(cat VERSION)	# the tools' --version, as tools/Makefile gives it
	: > status
	mkdir -p bin
	try() {	# NAME KIND CC-ARGS...
		local name=$1 kind=$2
		shift 2
		if ! gcc "$@" > "log-$name" 2>&1; then
			echo "FAIL $name compile failed: $(grep -m1 -E 'error' "log-$name")" >> status
		elif [ "$kind" = own ] && grep -q 'warning:' "log-$name"; then
			echo "FAIL $name compiler warnings: $(grep -m1 'warning:' "log-$name")" >> status
		else
			echo "OK $name" >> status
		fi
		cat "log-$name"
	}
	for p in hello_ll passthrough_ll passthrough passthrough_fh ioctl ioctl_client poll poll_client \
		 notify_inval_inode notify_store_retrieve invalidate_path; do
		if [ -f "$EX/$p.c" ]; then
			try "$p" example -O2 -w -I"$EX" -o "bin/$p" "$EX/$p.c" $FUSE -lpthread
		else
			echo "FAIL $p $EX/$p.c not found" >> status
		fi
	done
	# libfuse's passthrough_hp (C++), from the source of the libfuse the
	# chroot has (make demo: the same server on stock fuse and fuse2pt)
	if [ -f src/libfuse-example/passthrough_hp.cc ]; then
		if g++ -std=c++17 -O2 -w -Isrc/libfuse-example -o bin/passthrough_hp \
		       src/libfuse-example/passthrough_hp.cc $FUSE -lpthread > log-passthrough_hp 2>&1; then
			echo "OK passthrough_hp" >> status
		else
			echo "FAIL passthrough_hp compile failed: $(grep -m1 error log-passthrough_hp)" >> status
		fi
		cat log-passthrough_hp
	else
		echo "FAIL passthrough_hp its source was not fetched (see progs.log)" >> status
	fi
	for f in src/progs/*/*.c; do
		[ -f "$f" ] || continue
		n=$(basename "$f" .c)
		try "$n" own -O2 -g -Wall -Wextra -Isrc/include -DF2P_VERSION="\"$VERSION\"" \
			-o "bin/$n" "$f" $FUSE -lpthread
	done
	# a statically linked program that mounts by itself (75-any-program)
	try rawsrv-static own -O2 -static -Wall -Wextra -Isrc/include -o bin/rawsrv-static \
		src/progs/servers/rawsrv.c
	EOS
}

# passthrough_hp.cc and its cxxopts.hpp from the orig tarball of the
# chroot's libfuse (Debian's pool, checked against the source package's
# .dsc), kept in $CACHE/libfuse-src.
_fetch_libfuse_example() {	# DEST
	local dest=$1 ver dir=$CACHE/libfuse-src pool=${FUSE2PT_MIRROR:-http://deb.debian.org/debian}/pool/main/f/fuse3
	local full tgz sum
	full=$(chroot_run "dpkg-query -W -f '\${source:Version}' libfuse3-dev") || return 1
	ver=${full%-*}
	ver=${ver#*:}
	tgz=$dir/fuse3_$ver.orig.tar.gz
	mkdir -p "$dir"
	if [ ! -f "$tgz" ]; then
		echo "fetching $pool/fuse3_$ver.orig.tar.gz and fuse3_$full.dsc"
		curl -fsS -o "$dir/fuse3_$full.dsc" "$pool/fuse3_$full.dsc" || return 1
		curl -fsS -o "$tgz.part" "$pool/fuse3_$ver.orig.tar.gz" || return 1
		sum=$(awk -v f="fuse3_$ver.orig.tar.gz" '/^Checksums-Sha256:/ { on = 1; next }
			/^[^ ]/ { on = 0 } on && $3 == f { print $1 }' "$dir/fuse3_$full.dsc")
		if [ -z "$sum" ] || [ "$(sha256sum < "$tgz.part" | cut -d' ' -f1)" != "$sum" ]; then
			echo "fuse3_$ver.orig.tar.gz does not match the sha256 in fuse3_$full.dsc"
			rm -f "$tgz.part"
			return 1
		fi
		mv "$tgz.part" "$tgz"
	fi
	rm -rf "$dest"
	mkdir -p "$dest"
	tar -xzf "$tgz" -C "$dest" --no-same-owner --strip-components=2 "fuse-$ver/example/passthrough_hp.cc" \
		"fuse-$ver/example/cxxopts.hpp"
}

build_progs() {
	local d=$CHROOT$CBUILD/progs f n rc=0 want dir
	rm -rf "${d:?}" "${WORK:?}/bin" "${WORK:?}/lib"
	mkdir -p "$d/src/progs" "$d/src/include" "$WORK/bin" "$WORK/lib"
	# the module's wire header, and what the test programs share
	cp "$TOP"/include/*.h "$TOP"/tests/include/*.h "$d/src/include/" 2>/dev/null || true
	for want in tests/servers tools; do
		if ! ls "$TOP/$want"/*.c >/dev/null 2>&1; then
			log "!!!!!!!! no $want/*.c yet: those programs are not built (cases needing them will fail) !!!!!!!!"
		fi
	done
	# Every C file in tools/ and tests/*/ (but the harness' own tests/lib)
	# is one program.
	for dir in "$TOP"/tools "$TOP"/tests/*/; do
		dir=${dir%/}
		[ "$dir" = "$TOP/tests/lib" ] && continue
		ls "$dir"/*.c >/dev/null 2>&1 || continue
		mkdir -p "$d/src/progs/$(basename "$dir")"
		cp "$dir"/*.c "$d/src/progs/$(basename "$dir")/"
	done
	cp "$TOP/VERSION" "$d/VERSION"
	_fetch_libfuse_example "$d/src/libfuse-example" >> "$WORK/progs.log" 2>&1 ||
		log "!!!!!!!! libfuse's source (for passthrough_hp) could not be fetched: see $WORK/progs.log"
	log "building test programs in the chroot (libfuse $(chroot_run 'pkg-config --modversion fuse3'))"
	_chroot_progs_script > "$d/build.sh"
	chroot_run "bash $CBUILD/progs/build.sh" > "$WORK/progs.log" 2>&1 || rc=$?
	cp "$d"/bin/* "$WORK/bin/" 2>/dev/null || true
	cp "$d/status" "$WORK/progs.status" 2>/dev/null || echo "FAIL progs chroot build script failed ($rc)" > "$WORK/progs.status"

	# The host's (bookworm) libfuse 3.14 builds, run with its library in
	# the guest: soname libfuse3.so.3, so no clash with trixie's .so.4.
	log "building *-314 programs on the host (libfuse $(pkg-config --modversion fuse3))"
	for n in hello_ll passthrough_ll; do
		if [ ! -f "$EXAMPLES/$n.c" ]; then
			echo "FAIL $n-314 $EXAMPLES/$n.c not found on the host" >> "$WORK/progs.status"
		elif gcc -O2 -w -I"$EXAMPLES" -o "$WORK/bin/$n-314" "$EXAMPLES/$n.c" \
			$(pkg-config --cflags --libs fuse3) -lpthread -Wl,-rpath,$GUEST_OPT/lib \
			>> "$WORK/progs.log" 2>&1; then
			echo "OK $n-314" >> "$WORK/progs.status"
		else
			echo "FAIL $n-314 compile failed on the host" >> "$WORK/progs.status"
		fi
	done
	f=$(ldconfig -p | awk '/libfuse3\.so\.3 .*x86-64/ { print $NF; exit }')
	[ -n "$f" ] || f=/usr/lib/x86_64-linux-gnu/libfuse3.so.3
	if [ -e "$f" ]; then
		cp -L "$f" "$WORK/lib/libfuse3.so.3"
	else
		echo "FAIL libfuse3.so.3 host library not found" >> "$WORK/progs.status"
	fi
	# Debian 12's libfuse 2 (2.9.9-6: no /dev/fd/N mount points; trixie's
	# has them patched in), for 75-any-program: trixie's bindfs on it
	# behaves as Debian 12's bindfs.  Fetched once into the cache.
	f=$CACHE/bookworm-libfuse2/libfuse.so.2
	if [ ! -f "$f" ]; then
		rm -rf "$CACHE/bookworm-libfuse2"
		mkdir -p "$CACHE/bookworm-libfuse2/deb"
		(cd "$CACHE/bookworm-libfuse2/deb" && apt-get download -qq libfuse2 &&
		 dpkg-deb -x libfuse2_*.deb x &&
		 cp -L "$(find x -name 'libfuse.so.2' | head -n1)" "$f") >> "$WORK/progs.log" 2>&1
	fi
	if [ -f "$f" ]; then
		mkdir -p "$WORK/lib/fuse2-bookworm"
		cp "$f" "$WORK/lib/fuse2-bookworm/"
		echo "OK libfuse2-bookworm" >> "$WORK/progs.status"
	else
		echo "FAIL libfuse2-bookworm apt-get download libfuse2 (bookworm's) failed on the host" >> "$WORK/progs.status"
	fi
	if grep -q '^FAIL' "$WORK/progs.status"; then
		log "!!!!!!!! test programs: $(grep -c '^FAIL' "$WORK/progs.status") failed (log: $WORK/progs.log):"
		grep '^FAIL' "$WORK/progs.status" >&2
		return 1
	fi
	log "test programs: $(ls "$WORK/bin" | tr '\n' ' ')"
}

# Stock fuse.ko for kernels that have fuse as a module.
_stock_fuse_module() {	# TAG -> path or nothing
	local tag=$1 kver cfg root
	kver=$(kver_of "$tag")
	root=$(kroot_of "$tag")/root
	cfg=$root/boot/config-$kver
	grep -q '^CONFIG_FUSE_FS=m' "$cfg" 2>/dev/null || return 0
	ls "$root/lib/modules/$kver/kernel/fs/fuse/fuse.ko"* \
	   "$root/usr/lib/modules/$kver/kernel/fs/fuse/fuse.ko"* \
	   "$CHROOT/usr/lib/modules/$kver/kernel/fs/fuse/fuse.ko"* 2>/dev/null | head -n1
}

# Kernel modules of kernel TAG (6.1 and 6.12: the extracted kernel package;
# 7.3: the chroot; the debug kernels: their modules_install).
mod_file() {	# TAG NAME -> path of NAME.ko*
	local kver
	kver=$(kver_of "$1")
	find "$(kroot_of "$1")/root" "$CHROOT/usr/lib/modules/$kver" "$CHROOT/lib/modules/$kver" \
		-path "*/$kver/kernel/*" \( -name "$2.ko" -o -name "$2.ko.xz" -o -name "$2.ko.zst" \) \
		2>/dev/null | head -n1
}

stage_ext4() {	# TAG DIR
	local tag=$1 dir=$2 m f dep lib
	local -A seen=()
	local todo=(crc32c_generic crc16 mbcache jbd2 ext4 loop overlay)
	mkdir -p "$dir/mod" "$dir/bin" "$dir/lib"
	: > "$dir/deps"
	while [ ${#todo[@]} -gt 0 ]; do
		m=${todo[0]}
		todo=("${todo[@]:1}")
		[ -n "${seen[$m]:-}" ] && continue
		seen[$m]=1
		f=$(mod_file "$tag" "$m")
		if [ -z "$f" ]; then	# (crc32c: a library built in on 7.3)
			[ "$m" = crc32c_generic ] || grep -q "^CONFIG_$(echo "$m" | tr 'a-z' 'A-Z')=y" \
				"$(kconfig_of "$tag")" 2>/dev/null ||
				log "$tag: module $m not found (no scratch ext4 in the guest)"
			continue
		fi
		case $f in	# decompressed here: no need for the guest's kmod to
		*.xz)  xz -dc "$f" > "$dir/mod/$m.ko" ;;
		*.zst) zstd -qdc "$f" > "$dir/mod/$m.ko" ;;
		*)     cp "$f" "$dir/mod/$m.ko" ;;
		esac
		echo "$m $m" >> "$dir/deps"
		for dep in $(modinfo -F depends "$f" 2>/dev/null | tr ',' ' '); do
			todo+=("$dep")
			echo "$dep $m" >> "$dir/deps"
		done
	done
	# the order to load them in: every module after what it needs
	tsort "$dir/deps" > "$dir/order" 2>/dev/null || log "$tag: module dependencies in a loop?"
	rm -f "$dir/deps"
	if [ -x /sbin/mke2fs ]; then
		cp /sbin/mke2fs "$dir/bin/"
		for lib in $(ldd /sbin/mke2fs | awk '/libext2fs|libe2p/ { print $3 }'); do
			cp -L "$lib" "$dir/lib/"
		done
		[ -f /etc/mke2fs.conf ] && cp /etc/mke2fs.conf "$dir/"
	else
		log "$tag: no /sbin/mke2fs on the host (no scratch ext4 in the guest)"
	fi
}

# scale_timeouts OVERLAY N: the guest's own timeouts, N times longer, in
# the overlay's copies (a slow kernel's image): each case's "# timeout:"
# and "# timeout-long:" line, the runner's default case timeout and the
# hung-task timeout /init sets.  The factor is in OVERLAY/opt/fuse2pt/SLOW.
scale_timeouts() {
	local st=$1 n=$2 f
	[ "$n" -gt 1 ] || return 0
	echo "$n" > "$st$GUEST_OPT/SLOW"
	for f in "$st"/tests/cases/*.sh; do
		perl -pi -e 's/^(#\s*timeout(?:-long)?:\s*)(\d+)/$1 . $2 * '"$n"'/e' "$f"
	done
	perl -pi -e 's/^(CASE_TIMEOUT=\$\{CASE_TIMEOUT:-)(\d+)\}/$1 . $2 * '"$n"' . "}"/e' "$st/tests/runner.sh"
	grep -q "^CASE_TIMEOUT=\${CASE_TIMEOUT:-[0-9]*}" "$st/tests/runner.sh" ||
		log "WARNING: no CASE_TIMEOUT default in runner.sh to scale"
	perl -pi -e 's/^(\s*echo )(\d+)( > \/proc\/sys\/kernel\/hung_task_timeout_secs)/$1 . $2 * '"$n"' . $3/e' "$st/init"
	grep -q 'echo [0-9]* > /proc/sys/kernel/hung_task_timeout_secs' "$st/init" ||
		log "WARNING: no hung_task_timeout_secs setting in /init to scale"
}

make_image() {
	local tag=$1 out=$WORK/$1 st m
	st=$out/overlay
	rm -rf "$st"
	mkdir -p "$st/tests" "$st$GUEST_OPT/bin" "$st$GUEST_OPT/lib" "$st$GUEST_OPT/mod"
	install -m 755 "$TOP/tests/guest/init" "$st/init"
	install -D -m 644 "$TOP/packaging/udev/60-fuse2pt.rules" "$st$GUEST_OPT/udev/60-fuse2pt.rules"
	cp -a "$TOP/tests/guest/." "$st/tests/"
	rm -f "$st/tests/init"
	cp -a "$WORK/bin/." "$st$GUEST_OPT/bin/" 2>/dev/null || true
	cp -a "$WORK/lib/." "$st$GUEST_OPT/lib/" 2>/dev/null || true
	install -m 755 "$TOP/tools/fuse2pt-ci" "$st$GUEST_OPT/bin/"	# 76-ci-selftest
	[ -f "$out/fuse2pt.ko" ] && cp "$out/fuse2pt.ko" "$st$GUEST_OPT/mod/"
	m=$(_stock_fuse_module "$tag")
	if [ -n "$m" ]; then
		cp "$m" "$st$GUEST_OPT/mod/"
	elif ! grep -q '^CONFIG_FUSE_FS=y' "$(kconfig_of "$tag")"; then
		log "WARNING: $tag: stock fuse is neither built in nor found as a module"
	fi
	stage_ext4 "$tag" "$st$GUEST_OPT/ext4"
	echo "$tag" > "$st$GUEST_OPT/TAG"
	scale_timeouts "$st" "$(slow_of "$tag")"
	(cd "$st" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
		zstd -q -T0 > "$out/overlay.cpio.zst"
	cat "$CACHE/guest-base.cpio.zst" "$out/overlay.cpio.zst" > "$out/run.img"
}

vmlinuz_of() { echo "$(kroot_of "$1")/root/boot/vmlinuz-$(kver_of "$1")"; }

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -uo pipefail
	need_root
	mkdir -p "$WORK"
	tags=("$@")
	[ ${#tags[@]} -gt 0 ] || tags=(6.1 6.12 7.3)
	build_progs || true
	for t in "${tags[@]}"; do
		build_module "$t" || true
		make_image "$t"
		log "$t: $(cat "$WORK/$t/build.status" | tr '\n' ' ') image $WORK/$t/run.img"
	done
fi
