#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 400
#
# Backing files (SPEC "Passthrough" rule 2): the argument checks of
# FUSE_DEV_IOC_BACKING_OPEN and _CLOSE (flags, padding, bad fd, O_PATH,
# id 0, unknown id), EPERM without CAP_SYS_ADMIN, BACKING_CLOSE while a
# file is open on the id (the file keeps working), and the stacking depth:
# fuse on fuse passes with max_stack_depth 2 and is ELOOP past it.
#
# What the kernel's own open of the backing file holds: write access on
# the backing mount (a file registered from a read-only bind mount cannot
# be opened for writing through passthrough: EIO, as every failed
# passthrough open is, on stock fuse too; remount,ro of the backing
# filesystem is EBUSY while a passthrough file is open for writing), and
# for a mapping the backing file itself (the mapping outlives its FUSE
# file, BACKING_CLOSE, unlink through FUSE, drop_caches and the FUSE
# mount; umount of the backing filesystem is EBUSY until it goes).
# Asynchronous kiocbs complete asynchronously: io_submit of 8 O_DIRECT
# reads returns before a slow backing file (a fuse mount whose server
# takes 300 ms a READ) answers.  A shared mmap that fails in a stacked
# backing filesystem's ->mmap (overlayfs over a direct-I/O file) leaves
# every reference as it was.
#
# On fuse2pt, and on stock fuse as the reference where it has passthrough.

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/60-pt.lib"

PT=/opt/fuse2pt/bin/pttool

backing_suite() {
	local type=$1 m s inner outer top r
	ptc_source
	for f in a b c d; do head -c 50000 /dev/urandom > "$T_SRC/$f"; done
	t_start "$type:mount"
	ptc_mount "$type" || return
	ptc_have_pt "$type" || { ptc_skip_umount "$type"; return; }
	t_pass
	m=$PTC_MNT s=$T_SRC

	t_start "$type:ioctl-arguments"
	ptc_mode probe
	t_expect_files_eq "read after the probes" "$s/a" "$m/a"
	ptc_stats
	t_expect_eq "flags != 0" "$(ptc_stat probe_flags)" EINVAL
	t_expect_eq "padding != 0" "$(ptc_stat probe_padding)" EINVAL
	t_expect_eq "fd -1" "$(ptc_stat probe_badfd)" EBADF
	t_expect_eq "O_PATH fd" "$(ptc_stat probe_opath)" ok
	t_expect_eq "a directory" "$(ptc_stat probe_dir)" EISDIR
	t_expect_eq "close id 0" "$(ptc_stat probe_close0)" EINVAL
	t_expect_eq "close unknown id" "$(ptc_stat probe_closeunknown)" ENOENT
	t_pass

	t_start "$type:close-while-open"
	ptc_mode ptearly
	exec 3<> "$m/b"
	ptc_mode pt
	ptc_stats	# closes the id now, while fd 3 is open on it
	t_expect_eq "ids closed" "$(ptc_stat backing_close)" "$(ptc_stat backing_open)"
	t_expect_eq "read through the open file" "$(head -c 50000 <&3 | md5sum)" "$(md5sum < "$s/b")"
	printf 'WRITTEN-AFTER-CLOSE' >&3
	t_expect_eq "write reached the backing file" "$(dd if="$s/b" bs=1 skip=50000 status=none)" WRITTEN-AFTER-CLOSE
	t_expect_eq "mmap" "$($PT mmapread fd:3 | md5sum)" "$(md5sum < "$s/b")"
	exec 3>&-
	t_expect_eq "READ/WRITE requests" "$(ptc_rw)" "0 0"
	ptc_check_balance
	t_pass

	t_start "$type:umount"
	t_umount "$PTC_MNT"
	t_pass

	t_start "$type:no-cap-sys-admin"
	if ptc_mount "$type" --drop-caps; then
		t_expect_eq "open (BACKING_OPEN refused)" "$(ptc_err cat "$m/c")" EPERM
		ptc_stats
		t_expect_eq "BACKING_OPEN errno" "$(ptc_stat backing_open_errno)" EPERM
		t_umount "$PTC_MNT"
	fi
	t_pass

	# fuse on fuse: the inner mount has stack depth 1
	inner=$T_WORK/mnt/$type-inner outer=$T_WORK/mnt/$type-outer top=$T_WORK/mnt/$type-top
	t_start "$type:stack-depth"
	# Stock fuse's passthrough write through one fuse mount to a backing
	# file on another takes the freeze protection (sb_writers) of both,
	# one lock class, which lockdep reports as possible recursive locking
	# (seen on the 6.12 debug kernel) and then stops checking.  fuse2pt
	# gives each superblock classes of its own.  Stock's stacking is
	# compared on the stock kernels, without lockdep.
	if [ "$type" = fuse ] && [ -e /proc/lockdep ]; then
		t_skip "NOT RUN on stock fuse under lockdep: its write through a fuse mount to a backing file on another fuse mount takes sb_writers of one class twice, a lockdep report (stock's; fuse2pt has per-superblock classes)"
		return
	fi
	echo pt > "$T_WORK/mode"
	if t_mount "$type" "$inner" ptsrv --mode-file "$T_WORK/mode" --stats "$T_WORK/st-inner" "$T_SRC"; then
		if t_mount "$type" "$outer" ptsrv --mode-file "$T_WORK/mode" --stats "$T_WORK/st-outer" "$inner"; then
			t_expect_eq "backing file on a depth-1 fuse, max_stack_depth 1" "$(ptc_err cat "$outer/d")" ELOOP
			t_umount "$outer"
		fi
		if t_mount "$type" "$outer" ptsrv --mode-file "$T_WORK/mode" --stats "$T_WORK/st-outer" --stack-depth 1 "$inner"; then
			t_expect_files_eq "backing file on a depth-1 fuse, max_stack_depth 2" "$s/d" "$outer/d"
			r=$(ptc_err dd if=/dev/urandom of="$outer/d" bs=1000 count=3 conv=notrunc status=none)
			t_expect_eq "write two levels down" "$r" ok
			t_expect_files_eq "after write" "$s/d" "$outer/d"
			if t_mount "$type" "$top" ptsrv --mode-file "$T_WORK/mode" --stats "$T_WORK/st-top" --stack-depth 1 "$outer"; then
				t_expect_eq "backing file on a depth-2 fuse" "$(ptc_err cat "$top/d")" ELOOP
				t_umount "$top"
			fi
			t_umount "$outer"
		fi
		t_umount "$inner"
		for f in inner outer; do
			t_expect_eq "$f server READ/WRITE" \
				"$(awk '$1 == "read" || $1 == "write" { printf "%s ", $2 }' "$T_WORK/st-$f")" "0 0 "
		done
	fi
	t_pass
}

# the mount the server serves, read-only: a bind mount of $T_SRC
ro_suite() {
	local type=$1 rosrc=$T_WORK/ro-src rom=$T_WORK/mnt/$type-ro r
	ptc_source
	head -c 50000 /dev/urandom > "$T_SRC/a"
	cp "$T_SRC/a" "$T_WORK/a.orig"
	mkdir -p "$rosrc"
	t_start "$type:read-only-bind-mount"
	mount --bind "$T_SRC" "$rosrc" && mount -o remount,bind,ro "$rosrc" ||
		{ t_fail "no read-only bind mount of $T_SRC"; return; }
	echo ptopath > "$T_WORK/mode-ro"
	rm -f "$T_WORK/st-ro"
	if t_mount "$type" "$rom" ptsrv --mode-file "$T_WORK/mode-ro" --stats "$T_WORK/st-ro" "$rosrc"; then
		kill -USR1 "$T_SRV_PID"
		t_wait_for 5 test -s "$T_WORK/st-ro"
		if grep -q '^passthrough_offered 1' "$T_WORK/st-ro"; then
			t_expect_eq "read through passthrough" "$(md5sum < "$rom/a")" "$(md5sum < "$T_WORK/a.orig")"
			# the backing filesystem's EROFS reaches the user as EIO, as
			# every failed passthrough open does (stock fuse's choice)
			t_expect_eq "open for writing" "$($PT open "$rom/a" rw 2>/dev/null)" EIO
			r=$(ptc_err dd if=/dev/zero of="$rom/a" bs=100 count=1 conv=notrunc status=none)
			t_expect_eq "write" "$r" EIO
			t_expect_eq "open for reading still works" "$($PT open "$rom/a" ro 2>/dev/null)" ok
			t_expect_files_eq "the backing file is unchanged" "$T_WORK/a.orig" "$T_SRC/a"
			t_umount "$rom"
			t_pass
		else
			t_umount "$rom"
			[ "$type" = fuse ] && t_skip "stock fuse on $(uname -r) has no passthrough" ||
				t_fail "fuse2pt did not offer FUSE_PASSTHROUGH"
		fi
	fi
	umount "$rosrc"
}

lifetime_suite() {
	local type=$1 m s r tag sum want pid fdw
	ptc_source
	for f in c mapped; do head -c 300000 /dev/urandom > "$T_SRC/$f"; done
	t_start "$type:lifetime-mount"
	ptc_mount "$type" || return
	ptc_have_pt "$type" || { ptc_skip_umount "$type"; return; }
	t_pass
	m=$PTC_MNT s=$T_SRC

	# ptopath: the server holds nothing open for writing itself
	t_start "$type:remount-ro-refused-while-open-for-write"
	ptc_mode ptopath
	exec 3<> "$m/c"
	r=$(ptc_err mount -o remount,ro "$s")
	t_expect_eq "remount,ro of the backing filesystem" "$r" EBUSY
	[ "$r" = ok ] && mount -o remount,rw "$s"
	printf 'STILL-WRITABLE' >&3
	exec 3>&-
	t_expect_eq "write" "$(head -c 14 "$s/c")" STILL-WRITABLE
	ptc_check_balance
	r=$(ptc_err mount -o remount,ro "$s")
	t_expect_eq "remount,ro once closed" "$r" ok
	[ "$r" = ok ] && mount -o remount,rw "$s"
	ptc_mode pt
	t_pass

	t_start "$type:mmap-outlives-backing-close-unlink"
	want=$($PT sum "$s/mapped")
	coproc MH { exec "$PT" mmaphold "$m/mapped"; }
	pid=$MH_PID
	read -r -t 30 tag sum <&"${MH[0]}"
	t_expect_eq "mapped" "$tag $sum" "mapped $want"
	# its FUSE file is closed: RELEASE came, the server closed the backing id
	ptc_check_balance
	t_check "unlink through FUSE" rm "$m/mapped"
	t_expect_eq "the backing file" "$([ -e "$s/mapped" ] && echo still there || echo gone)" gone
	echo 3 > /proc/sys/vm/drop_caches
	echo >&"${MH[1]}"
	read -r -t 30 tag sum <&"${MH[0]}"
	t_expect_eq "the mapping after BACKING_CLOSE, unlink and drop_caches" "$tag $sum" "sum $want"
	t_pass

	# the FUSE mount goes lazily (6.8+ backing files keep the FUSE path
	# too) and its server with it: the mapping is all that is left
	t_start "$type:mmap-pins-backing-filesystem"
	umount -l "$m"
	kill -TERM "$T_SRV_PID" 2>/dev/null
	t_wait_for 20 _t_gone "$T_SRV_PID" || kill -KILL "$T_SRV_PID" 2>/dev/null
	wait "$T_SRV_PID" 2>/dev/null
	echo 3 > /proc/sys/vm/drop_caches
	r=$(ptc_err umount "$s")
	t_expect_eq "umount of the backing filesystem while mapped" "$r" EBUSY
	echo >&"${MH[1]}"
	read -r -t 30 tag sum <&"${MH[0]}"
	t_expect_eq "the mapping" "$tag $sum" "sum $want"
	fdw=${MH[1]}
	exec {fdw}>&-
	wait "$pid"
	[ "$r" = ok ] || t_expect_eq "umount once unmapped" "$(ptc_err umount "$s")" ok
	t_pass
}

# srv_stats FILE: the last-mounted ptsrv's counters written to FILE now
srv_stats() {
	rm -f "$1"
	kill -USR1 "$T_SRV_PID"
	t_wait_for 5 test -s "$1"
}

# a slow backing file: a fuse mount (cached opens, O_DIRECT READs to the
# server) whose server sleeps 300 ms per READ, under a passthrough mount
async_suite() {
	local type=$1 inner=$T_WORK/mnt/$1-slow outer=$T_WORK/mnt/$1-aio r sub subms
	ptc_source
	head -c 524288 /dev/urandom > "$T_SRC/slow"
	t_start "$type:aio-queued-on-slow-backing-file"
	echo cached > "$T_WORK/mode-slow"
	echo pt > "$T_WORK/mode-aio"
	t_mount "$type" "$inner" ptsrv --mode-file "$T_WORK/mode-slow" --read-delay 300 "$T_SRC" || return
	if ! t_mount "$type" "$outer" ptsrv --mode-file "$T_WORK/mode-aio" --stats "$T_WORK/st-aio" \
		--stack-depth 1 "$inner"; then
		t_umount "$inner"
		return
	fi
	srv_stats "$T_WORK/st-aio"
	if ! grep -q '^passthrough_offered 1' "$T_WORK/st-aio"; then
		t_umount "$outer"
		t_umount "$inner"
		[ "$type" = fuse ] && t_skip "stock fuse on $(uname -r) has no passthrough" ||
			t_fail "fuse2pt did not offer FUSE_PASSTHROUGH"
		return
	fi
	r=$($PT aioread "$outer/slow" 8 65536)
	t_note "aioread: $r"
	sub=$(sed -n 's/.*submitted=\([0-9]*\).*/\1/p' <<< "$r")
	subms=$(sed -n 's/.*submit_ms=\([0-9]*\).*/\1/p' <<< "$r")
	t_expect_eq "io_submit queued" "$sub" 8
	t_check "io_submit returned before the first READ was answered (${subms:-?} ms)" \
		test "${subms:-99999}" -lt 300
	t_expect_eq "completions" "$(sed -n 's/.*completed=\([0-9]*\).*/\1/p' <<< "$r")" 8
	t_expect_eq "data" "$(sed -n 's/.*data=\([a-z]*\).*/\1/p' <<< "$r")" ok
	t_umount "$outer"
	t_umount "$inner"
	t_expect_eq "outer server READ/WRITE" \
		"$(awk '$1 == "read" || $1 == "write" { printf "%s ", $2 }' "$T_WORK/st-aio")" "0 0 "
	t_pass
}

# a backing file on overlayfs whose real file refuses a shared mapping
# (the lower layer is a mount of the same type with FOPEN_DIRECT_IO:
# ENODEV).  overlayfs's ->mmap puts its real file in the vma before it
# fails; the passthrough mmap must then drop only its own reference (on
# 5.10 fuse2pt once dropped the real file's, which overlayfs had already
# dropped: a use-after-free).  After the failure the file still reads,
# and every mount comes down (nothing pinned).
overlay_suite() {
	local type=$1 lower=$T_WORK/mnt/$1-ovdio ov=$T_WORK/mnt/$1-ovl outer=$T_WORK/mnt/$1-ovpt
	local ow=$T_WORK/ovl-$1 want i
	ptc_source
	head -c 65536 /dev/urandom > "$T_SRC/ovfile"
	want=$($PT sum "$T_SRC/ovfile")
	t_start "$type:mmap-fails-under-overlayfs"
	echo dio > "$T_WORK/mode-ovdio"
	echo pt > "$T_WORK/mode-ovpt"
	# without passthrough its superblock stays at stack depth 0, so
	# overlayfs over it is at 1 and may back a passthrough mount
	t_mount "$type" "$lower" ptsrv --no-passthrough --mode-file "$T_WORK/mode-ovdio" "$T_SRC" || return
	t_expect_eq "shared mmap of the direct-I/O lower file" "$($PT mmapread "$lower/ovfile" 2>/dev/null | head -c 40)" ENODEV
	grep -qw overlay /proc/filesystems || insmod "$T_EXT4/mod/overlay.ko" 2>/dev/null
	if ! grep -qw overlay /proc/filesystems; then
		# the debug kernels are built without it (tests/lib/debug-kernel.sh)
		case $(uname -r) in
		*-f2pdebug) t_skip "no overlayfs in $(uname -r): the debug kernels are built without it" ;;
		*) t_fail "no overlayfs in this guest (overlay.ko not in $T_EXT4/mod)" ;;
		esac
		t_umount "$lower"
		return
	fi
	rm -rf "$ow"
	mkdir -p "$ow/upper" "$ow/work" "$ov"
	if ! t_check "overlayfs over it" mount -t overlay overlay \
		-o "lowerdir=$lower,upperdir=$ow/upper,workdir=$ow/work" "$ov"; then
		t_umount "$lower"
		return
	fi
	# overlayfs is one level deep: a backing stack depth of 1, which
	# libfuse sends as max_stack_depth 2, the kernel's limit (a 2 here is
	# sent as 3 and the kernel turns passthrough down: BACKING_OPEN EPERM;
	# a lower mount with passthrough makes overlayfs 2 deep: ELOOP)
	if ! t_mount "$type" "$outer" ptsrv --mode-file "$T_WORK/mode-ovpt" --stats "$T_WORK/st-ovpt" \
		--stack-depth 1 "$ov"; then
		umount "$ov"
		t_umount "$lower"
		return
	fi
	srv_stats "$T_WORK/st-ovpt"
	if ! grep -q '^passthrough_offered 1' "$T_WORK/st-ovpt"; then
		t_umount "$outer"
		umount "$ov"
		t_umount "$lower"
		[ "$type" = fuse ] && t_skip "stock fuse on $(uname -r) has no passthrough" ||
			t_fail "fuse2pt did not offer FUSE_PASSTHROUGH"
		return
	fi
	for i in 1 2 3; do
		t_expect_eq "shared mmap through passthrough ($i)" \
			"$($PT mmapread "$outer/ovfile" 2>/dev/null | head -c 40)" ENODEV
	done
	t_expect_eq "read after the failed mmaps" "$($PT sum "$outer/ovfile")" "$want"
	t_expect_eq "private mmap still maps" "$($PT mmaptry "$outer/ovfile")" ok
	# the opens above went through passthrough on the overlay file
	srv_stats "$T_WORK/st-ovpt"
	t_expect_eq "backing files refused" "$(awk '$1 == "backing_open_fail" { print $2 }' "$T_WORK/st-ovpt")" 0
	t_check "backing files registered" awk '$1 == "backing_open" && $2 >= 1 { ok = 1 } END { exit !ok }' "$T_WORK/st-ovpt"
	echo 3 > /proc/sys/vm/drop_caches
	t_check "umount of the passthrough mount" t_umount "$outer"
	t_expect_eq "umount of the overlay (nothing pinned)" "$(ptc_err umount "$ov")" ok
	t_check "umount of the lower mount" t_umount "$lower"
	t_pass
}

# FUSE2PT_SUB picks suites: TYPE:backing, TYPE:read-only, TYPE:lifetime,
# TYPE:async, TYPE:overlay
for type in $(ptc_types); do
	t_selected "$type:backing" && backing_suite "$type"
	t_selected "$type:read-only" && ro_suite "$type"
	t_selected "$type:lifetime" && lifetime_suite "$type"
	t_selected "$type:async" && async_suite "$type"
	t_selected "$type:overlay" && overlay_suite "$type"
done
