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
# The same on libfuse's high-level passthrough_fh (3.17; it exports / and
# keeps one backing fd per open; built without the HAVE_* defines, so it
# has no fallocate, copy_file_range or locks of its own).  The high-level
# library has no cache= option; the modes map to:
#   auto    -o auto_cache (page cache kept while mtime and size stay)
#   always  -o kernel_cache (page cache always kept)
#   never   no option: the exerciser opens with O_DIRECT (-D), for which
#           passthrough_fh sets fi->direct_io (the library has no
#           direct_io option any more); as it opens the backing file with
#           the caller's flags, this needs a tmpfs with O_DIRECT (6.6+)
#           and is skipped, loudly, before that (tried over a scratch
#           ext4 on 6.1: passthrough_fh then fails reads on stock fuse too)
#   wb      not expressible: the high-level library takes no
#           -o writeback_cache (3.17 knows only no_writeback_cache) and
#           passthrough_fh does not ask for it in its init: skipped, loudly
#
#   EX_OPS     operations per passthrough_ll run (2000 here; 100000 in
#              the long run, FUSE2PT_LONG=1)
#   EX_FH_OPS  operations per passthrough_fh run (500; 100000 long)
#
# A long run takes about 20 minutes of a host core per configuration
# under TCG; FUSE2PT_SUB (e.g. '*ll-cache-@(auto|wb)') spreads them over
# guests or sessions.
#
# timeout: 1800
# timeout-long: 18000
. /tests/lib.sh

EX_OPS=${EX_OPS:-${FUSE2PT_LONG:+100000}}
EX_OPS=${EX_OPS:-2000}
EX_FH_OPS=${EX_FH_OPS:-${FUSE2PT_LONG:+100000}}
EX_FH_OPS=${EX_FH_OPS:-500}

# ix_run TYPE CONF SEED OPS PROG EXFLAGS -- SERVER-ARGS...: one exerciser
# run on a fresh tmpfs; its dropped-op lines are left in
# $T_WORK/ix-TYPE-CONF.dropped.  Server arguments name the tmpfs as @BACK@.
ix_run() {
	local type=$1 conf=$2 seed=$3 ops=$4 prog=$5 back mnt out rc=0 a
	local exflags=() args=() target
	shift 5
	while [ $# -gt 0 ] && [ "$1" != -- ]; do exflags+=("$1"); shift; done
	shift
	back=$T_WORK/ixback-$type
	mnt=$T_WORK/mnt/ix-$type
	out=$T_WORK/ix-$type-$conf
	for a in "$@"; do args+=("${a//@BACK@/$back}"); done
	mkdir -p "$back"
	t_check "tmpfs for $type" mount -t tmpfs -o size=256m ixback "$back" || return 1
	if ! t_mount "$type" "$mnt" "$prog" "${args[@]}"; then
		umount "$back"
		return 1
	fi
	# passthrough_fh shows the whole tree: the tmpfs is $mnt$back there
	target=$mnt/ex
	[ "$prog" != passthrough_fh ] || target=$mnt$back/ex
	"$T_BIN/exercise" -s "$seed" -n "$ops" -k 200 "${exflags[@]}" "$target" > "$out.log" 2>&1 || rc=$?
	t_expect_eq "exercise on $type ($prog $conf, seed $seed, $ops ops)" "$rc" 0
	if [ "$rc" != 0 ]; then
		tail -n 30 "$out.log" | sed 's/^/  | /'
	else
		# what was done, op by op: the counts the long run reports
		t_note "$type $conf: $(grep -m1 '^exercise: seed=.* ok' "$out.log")"
	fi
	grep -iE 'disabl|not supported|dropp' "$out.log" | sed 's/[0-9]\+ ops\?//g' | sort -u > "$out.dropped"
	t_umount "$mnt"
	t_check "umount tmpfs of $type" umount "$back"
}

ix_compare() {	# CONF
	t_expect_files_eq "ops dropped, stock fuse (-) vs fuse2pt (+)" \
		"$T_WORK/ix-fuse-$1.dropped" "$T_WORK/ix-fuse2pt-$1.dropped"
	t_note "dropped on fuse2pt: $(tr '\n' ';' < "$T_WORK/ix-fuse2pt-$1.dropped")"
}

for cache in auto always never wb; do
	t_selected "passthrough_ll-cache-$cache" || continue
	t_start "passthrough_ll-cache-$cache"
	t_need_bin exercise || { t_pass; continue; }
	t_need_bin passthrough_ll || { t_pass; continue; }
	t_need_module || { t_pass; continue; }
	seed=$(( 1000 + ${#cache} ))
	opts="source=@BACK@,cache=$cache"
	[ "$cache" != wb ] || opts="source=@BACK@,cache=auto,writeback"
	t0=$SECONDS
	for type in fuse fuse2pt; do
		ix_run "$type" "$cache" "$seed" "$EX_OPS" passthrough_ll -- -f -o "$opts"
	done
	ix_compare "$cache"
	t_note "passthrough_ll cache=$cache: $((SECONDS - t0)) s"
	t_pass
done

for cache in auto always never wb; do
	t_selected "passthrough_fh-cache-$cache" || continue
	t_start "passthrough_fh-cache-$cache"
	t_need_bin exercise || { t_pass; continue; }
	t_need_bin passthrough_fh || { t_pass; continue; }
	t_need_module || { t_pass; continue; }
	seed=$(( 2000 + ${#cache} ))
	exflags=()
	case $cache in
	auto)	srv=(-o auto_cache) ;;
	always)	srv=(-o kernel_cache) ;;
	never)	srv=(); exflags=(-D)
		if ! t_tmpfs_odirect; then
			t_skip "passthrough_fh has no option for cache=never; its O_DIRECT stand-in needs a tmpfs with O_DIRECT, which $(uname -r) lacks (over a scratch ext4, O_DIRECT for real, the server fails its reads on stock fuse too: EIO, 6.1, 2026-11-28)"
			continue
		fi ;;
	wb)	t_skip "passthrough_fh cannot take the writeback cache: libfuse 3.17's high-level library has no -o writeback_cache and the example does not set it"
		continue ;;
	esac
	t0=$SECONDS
	for type in fuse fuse2pt; do
		ix_run "$type" "fh-$cache" "$seed" "$EX_FH_OPS" passthrough_fh "${exflags[@]}" -- -f "${srv[@]}"
	done
	ix_compare "fh-$cache"
	t_note "passthrough_fh $cache: $((SECONDS - t0)) s"
	t_pass
done
