#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# The writeback cache (FUSE_WRITEBACK_CACHE): libfuse's passthrough_ll
# with -o writeback,cache=auto over a fresh tmpfs, on stock fuse and on
# fuse2pt.  tests/integrity/wbcheck.c checks that writes wait in the page
# cache until fsync, the size after extending writes, the mtime after
# write+fsync and after close (the kernel's, sent to the server), truncate
# down by path with dirty pages, O_APPEND at the size with dirty data, and
# a small write into an uncached page keeping the server's rest of it.
# Every check must pass on fuse2pt, and print the same lines as on stock
# fuse.  Stock fuse itself, the reference, fails the after-close mtime
# check now and then under load (its writeback WRITE can reach the server
# after the SETATTR that carried the mtime): a run where stock fails is
# reported as a skip of the comparison, with stock's lines, not as a
# failure of fuse2pt.
. /tests/lib.sh

wb_run() {	# TYPE
	local type=$1 back=$T_WORK/wbback-$1 mnt=$T_WORK/mnt/wb-$1 rc=0
	mkdir -p "$back"
	t_check "tmpfs for $type" mount -t tmpfs -o size=64m wbback "$back" || return 1
	if ! t_mount "$type" "$mnt" passthrough_ll -f -o "source=$back,cache=auto,writeback"; then
		umount "$back"
		return 1
	fi
	"$T_BIN/wbcheck" "$mnt" "$back" > "$T_WORK/wb-$type.out" 2>&1 || rc=$?
	sed "s/^/  $type | /" "$T_WORK/wb-$type.out"
	WB_RC[$type]=$rc
	[ "$type" = fuse ] || t_expect_eq "wbcheck on $type" "$rc" 0
	t_umount "$mnt"
	t_check "umount tmpfs of $type" umount "$back"
}

declare -A WB_RC=()
t_start "passthrough_ll-writeback"
if t_need_bin wbcheck && t_need_bin passthrough_ll && t_need_module; then
	for type in fuse fuse2pt; do
		wb_run "$type"
	done
	if [ "${WB_RC[fuse]:-x}" = 0 ]; then
		t_expect_files_eq "wbcheck, stock fuse (-) vs fuse2pt (+)" \
			"$T_WORK/wb-fuse.out" "$T_WORK/wb-fuse2pt.out"
		t_pass
	else
		t_pass
		t_start stock-reference
		t_skip "stock fuse (the reference) failed wbcheck in this run:" \
			"$(grep -v ': ok$' "$T_WORK/wb-fuse.out" 2>&1 | tr '\n' ';')"
	fi
fi
t_pass
