#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# Backing files (SPEC "Passthrough" rule 2): the argument checks of
# FUSE_DEV_IOC_BACKING_OPEN and _CLOSE (flags, padding, bad fd, O_PATH,
# id 0, unknown id), EPERM without CAP_SYS_ADMIN, BACKING_CLOSE while a
# file is open on the id (the file keeps working), and the stacking depth:
# fuse on fuse passes with max_stack_depth 2 and is ELOOP past it.  On
# fuse2pt, and on stock fuse as the reference where it has passthrough.

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

for type in $(ptc_types); do
	backing_suite "$type"
done
