#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 120
#
# COPY_FILE_RANGE answers with a 32-bit count: a copy asked for more than
# 4 GiB is clamped before it goes to the server (to the largest page
# multiple below 4 GiB), so the count that comes back can say how much
# was copied.  rawsrv big-file has a 16 GiB file, logs the length it was
# asked for and claims it all copied.  Stock fuse (which clamps the same
# way before 7.45's COPY_FILE_RANGE_64, and falls back to it when a
# server does not know the 64-bit form) is the reference.
. /tests/lib.sh

cr_run() {	# TYPE -> $T_WORK/cr-TYPE.res
	local type=$1 mnt=$T_WORK/mnt/cfr-$1 res=$T_WORK/cr-$1.res
	: > "$res"
	t_mount "$type" "$mnt" rawsrv big-file || return 1
	echo "5 GiB: $(timeout 60 "$T_BIN/cfrone" "$mnt/file" 0 $((8 << 30)) $((5 << 30)) 2>&1)" >> "$res"
	echo "1 MiB: $(timeout 60 "$T_BIN/cfrone" "$mnt/file" 0 $((8 << 30)) $((1 << 20)) 2>&1)" >> "$res"
	t_umount "$mnt"
	grep '^rawsrv: copy_file_range' "${_t_srv_log[$mnt]}" | sed 's/^rawsrv: /server: /' >> "$res"
	sed 's/^/  | '"$type"': /' "$res"
}

t_start copy-range-clamp
t_need_module || exit 0
t_need_bin rawsrv || exit 0
t_need_bin cfrone || exit 0
cr_run fuse2pt
t_expect_eq "fuse2pt: the caller's counts" "$(grep -E '^(5 GiB|1 MiB):' "$T_WORK/cr-fuse2pt.res" | paste -sd'|')" \
	"5 GiB: ret=4294963200|1 MiB: ret=1048576"
t_expect_eq "fuse2pt: the lengths the server was asked for" \
	"$(grep '^server:' "$T_WORK/cr-fuse2pt.res" | paste -sd'|')" \
	"server: copy_file_range off_in=0 off_out=8589934592 len=4294963200|server: copy_file_range off_in=0 off_out=8589934592 len=1048576"
t_pass

t_start copy-range-clamp-stock-reference
if ! { [ -c /dev/fuse ] || modprobe fuse 2>/dev/null; } || ! grep -qw fuse /proc/filesystems; then
	t_fail "stock fuse is missing: nothing to compare with"
else
	cr_run fuse
	t_expect_files_eq "fuse2pt and stock fuse" "$T_WORK/cr-fuse.res" "$T_WORK/cr-fuse2pt.res"
	t_pass
fi
