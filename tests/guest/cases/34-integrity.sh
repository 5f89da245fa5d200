#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Data integrity without passthrough: the exerciser (tests/integrity/
# exercise.c: seeded random read, write, truncate, mmap read/write,
# fallocate, copy_file_range, splice, sendfile, fsync, reopen, checked
# against an in-memory model) on libfuse's passthrough_ll with
# cache=auto, cache=always and cache=never, each on stock fuse and on
# fuse2pt over a fresh tmpfs, and with -o writeback,cache=auto (the
# writeback cache: configuration "wb").  The exerciser must find every
# byte as its model says; the ops the server or kernel does not offer are
# dropped with a line on stderr, and the two kernels must drop the same
# ones.
#
#   EX_OPS  operations per run (2000 here; 100000 in the long run,
#           FUSE2PT_LONG=1)
#
# timeout: 1500
# timeout-long: 7200
. /tests/lib.sh

EX_OPS=${EX_OPS:-${FUSE2PT_LONG:+100000}}
EX_OPS=${EX_OPS:-2000}

# ix_run TYPE CACHE SEED: one exerciser run; its dropped-op lines are left
# in $T_WORK/ix-TYPE-CACHE.dropped
ix_run() {
	local type=$1 cache=$2 seed=$3 back mnt out opts rc=0
	back=$T_WORK/ixback-$type
	mnt=$T_WORK/mnt/ix-$type
	out=$T_WORK/ix-$type-$cache
	mkdir -p "$back"
	t_check "tmpfs for $type" mount -t tmpfs -o size=256m ixback "$back" || return 1
	opts="source=$back,cache=$cache"
	[ "$cache" != wb ] || opts="source=$back,cache=auto,writeback"
	if ! t_mount "$type" "$mnt" passthrough_ll -f -o "$opts"; then
		umount "$back"
		return 1
	fi
	"$T_BIN/exercise" -s "$seed" -n "$EX_OPS" -k 200 "$mnt/ex" > "$out.log" 2>&1 || rc=$?
	t_expect_eq "exercise on $type (cache=$cache, seed $seed, $EX_OPS ops)" "$rc" 0
	if [ "$rc" != 0 ]; then
		tail -n 30 "$out.log" | sed 's/^/  | /'
	fi
	grep -iE 'disabl|not supported|dropp' "$out.log" | sed 's/[0-9]\+ ops\?//g' | sort -u > "$out.dropped"
	t_umount "$mnt"
	t_check "umount tmpfs of $type" umount "$back"
}

for cache in auto always never wb; do
	t_start "passthrough_ll-cache-$cache"
	t_need_bin exercise || { t_pass; continue; }
	t_need_bin passthrough_ll || { t_pass; continue; }
	t_need_module || { t_pass; continue; }
	seed=$(( 1000 + ${#cache} ))
	for type in fuse fuse2pt; do
		ix_run "$type" "$cache" "$seed"
	done
	t_expect_files_eq "ops dropped, stock fuse (-) vs fuse2pt (+)" \
		"$T_WORK/ix-fuse-$cache.dropped" "$T_WORK/ix-fuse2pt-$cache.dropped"
	t_note "dropped on fuse2pt: $(tr '\n' ';' < "$T_WORK/ix-fuse2pt-$cache.dropped")"
	t_pass
done
