#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 400
#
# Page-cache coherence, each scenario on fuse2pt and on stock fuse; what
# a reader sees must be the same on both and as the FUSE docs say:
#   - libfuse's notify_inval_inode, notify_store_retrieve and
#     invalidate_path examples: with notifications the time file changes
#     (invalidated, or pushed by STORE and checked by RETRIEVE); with
#     --no-notify it stays as first read (KEEP_CACHE, long timeouts)
#   - ptsrv without AUTO_INVAL_DATA: content changed in the source behind
#     the server's back is seen after a reopen without KEEP_CACHE, and not
#     with it
#   - passthrough_ll: the same with cache=auto and cache=always; but as
#     libfuse asks for AUTO_INVAL_DATA, cat's fstat() after the first read
#     (whose atime the server changed) fetches attributes, their new mtime
#     drops the cache, and cache=always reads the new content too
#   - ptsrv (KEEP_CACHE, 0.3 s attribute timeout): a new mtime in fresh
#     attributes drops cached data with AUTO_INVAL_DATA only; a new size
#     drops it unless the server said EXPLICIT_INVAL_DATA
. /tests/lib.sh

CC_SRC=/tmp/cc-src

# cc_time_file TYPE PROG [ARGS...]: read FILE at the mount, again 2.5 s
# later (the examples rewrite it every second); prints "changed" or
# "same", and for invalidate_path also whether "growing" grew.
cc_example() {
	local type=$1 prog=$2 file=$3 mnt a b s1 s2 res
	shift 3
	mnt=$T_WORK/mnt/$type-$prog
	t_mount "$type" "$mnt" "$prog" -f --update-interval=1 "$@" || return 1
	a=$(cat "$mnt/$file") && s1=$(stat -c %s "$mnt/growing" 2>/dev/null)
	sleep 2.5
	b=$(cat "$mnt/$file") && s2=$(stat -c %s "$mnt/growing" 2>/dev/null)
	[[ $a == "The current time is "* ]] ||
		_t_mark_fail "$prog $*: $file reads '$a'"
	if [ "$a" = "$b" ]; then res=same; else res=changed; fi
	if [ "$prog" = invalidate_path ]; then
		if [ "$s1" = "$s2" ]; then res="$res, growing same"; else res="$res, growing grew"; fi
	fi
	echo "$prog ${*:-notify}: $res" >> "$T_WORK/cc-$type"
	t_umount "$mnt"
}

cc_examples() {	# TYPE
	local type=$1
	cc_example "$type" notify_inval_inode current_time
	cc_example "$type" notify_inval_inode current_time --no-notify
	cc_example "$type" notify_store_retrieve current_time
	cc_example "$type" notify_store_retrieve current_time --no-notify
	cc_example "$type" invalidate_path current_time
	cc_example "$type" invalidate_path current_time --no-notify
}

# cc_change FILE TEXT [MTIME]: rewrite FILE in the source, in place
cc_change() {
	printf '%s' "$2" | dd of="$1" conv=notrunc,fsync status=none
	[ -z "${3:-}" ] || touch -d "$3" "$1"
}

# the file's bytes, a NUL shown as 0
cc_read() { tr '\0' 0 < "$1"; }

cc_reset() {
	rm -rf "$CC_SRC"
	mkdir -p "$CC_SRC"
	printf 'AAAAAAAA' > "$CC_SRC/f"
	touch -d '2020-01-01 00:00:00' "$CC_SRC/f"
}

# passthrough_ll: cached content, then the source changes (same size)
cc_keep_cache() {	# TYPE CACHE
	local type=$1 cache=$2 mnt=$T_WORK/mnt/$1-pll a b
	cc_reset
	t_mount "$type" "$mnt" passthrough_ll -f -o source="$CC_SRC",cache="$cache" || return 1
	a=$(cat "$mnt/f")
	cc_change "$CC_SRC/f" BBBBBBBB
	sleep 1.5	# past cache=auto's 1 s timeout
	b=$(cat "$mnt/f")
	echo "passthrough_ll cache=$cache: first $a, after the change $b" >> "$T_WORK/cc-$type"
	t_umount "$mnt"
}

# ptsrv, no INVAL_DATA, long timeouts: only the open's KEEP_CACHE matters
cc_keep_ptsrv() {	# TYPE MODE
	local type=$1 mode=$2 mnt=$T_WORK/mnt/$1-ptsrv a b
	cc_reset
	t_mount "$type" "$mnt" ptsrv --mode "$mode" --no-passthrough --timeout 86400 \
		--inval-data none "$CC_SRC" || return 1
	a=$(cat "$mnt/f")
	cc_change "$CC_SRC/f" BBBBBBBB '2021-01-01 00:00:00'
	b=$(cat "$mnt/f")
	echo "ptsrv $mode: first $a, after the change $b" >> "$T_WORK/cc-$type"
	t_umount "$mnt"
}

# ptsrv with KEEP_CACHE: mtime-only change, then a size change
cc_inval_data() {	# TYPE KIND
	local type=$1 kind=$2 mnt=$T_WORK/mnt/$1-ptsrv a b c stats=$T_WORK/cc-stats
	cc_reset
	t_mount "$type" "$mnt" ptsrv --mode keep --no-passthrough --timeout 0.3 \
		--inval-data "$kind" --stats "$stats" "$CC_SRC" || return 1
	a=$(cc_read "$mnt/f")
	cc_change "$CC_SRC/f" BBBBBBBB '2021-01-01 00:00:00'
	sleep 0.6
	b=$(cc_read "$mnt/f")
	cc_change "$CC_SRC/f" CCCCCCCCCC '2022-01-01 00:00:00'
	sleep 0.6
	c=$(cc_read "$mnt/f")
	echo "ptsrv keep inval-data=$kind: first $a, new mtime $b, new size $c" >> "$T_WORK/cc-$type"
	t_umount "$mnt"
	if [ "$kind" != none ]; then
		t_check "the kernel offers ${kind^^}_INVAL_DATA" grep -q "^${kind}_inval_offered 1$" "$stats"
	fi
}

cc_run() {	# TYPE
	local type=$1
	: > "$T_WORK/cc-$type"
	t_start "$type:examples"
	cc_examples "$type"
	t_pass
	t_start "$type:keep-cache"
	cc_keep_ptsrv "$type" cached
	cc_keep_ptsrv "$type" keep
	cc_keep_cache "$type" auto
	cc_keep_cache "$type" always
	t_pass
	t_start "$type:inval-data"
	cc_inval_data "$type" auto
	cc_inval_data "$type" none
	cc_inval_data "$type" explicit
	t_pass
	t_note "$type:"
	sed 's/^/  |   /' "$T_WORK/cc-$type"
}

# what the FUSE documentation promises, whoever the kernel is
cc_expect() {	# TYPE
	local f=$T_WORK/cc-$1 want
	t_start "$1:as-documented"
	while IFS= read -r want; do
		grep -qxF "$want" "$f" || _t_mark_fail "want '$want' in $(paste -sd';' "$f")"
	done <<-'EOF'
	notify_inval_inode notify: changed
	notify_inval_inode --no-notify: same
	notify_store_retrieve notify: changed
	notify_store_retrieve --no-notify: same
	invalidate_path notify: changed, growing grew
	invalidate_path --no-notify: same, growing same
	passthrough_ll cache=auto: first AAAAAAAA, after the change BBBBBBBB
	ptsrv cached: first AAAAAAAA, after the change BBBBBBBB
	ptsrv keep: first AAAAAAAA, after the change AAAAAAAA
	passthrough_ll cache=always: first AAAAAAAA, after the change BBBBBBBB
	ptsrv keep inval-data=auto: first AAAAAAAA, new mtime BBBBBBBB, new size CCCCCCCCCC
	ptsrv keep inval-data=none: first AAAAAAAA, new mtime AAAAAAAA, new size CCCCCCCCCC
	ptsrv keep inval-data=explicit: first AAAAAAAA, new mtime AAAAAAAA, new size AAAAAAAA00
	EOF
	# (EXPLICIT: neither change drops the cached page; the longer size
	# shows the page's zeros past the old end)
	t_pass
}

t_start setup
for b in notify_inval_inode notify_store_retrieve invalidate_path passthrough_ll ptsrv; do
	t_need_bin "$b" || t_die "test program $b missing"
done
t_need_module || t_die "no fuse2pt module"
[ -c /dev/fuse ] || modprobe fuse 2>/dev/null
cc_run fuse2pt
cc_expect fuse2pt
if [ -c /dev/fuse ] && grep -qw fuse /proc/filesystems; then
	cc_run fuse
	cc_expect fuse
	t_start same-as-stock
	t_expect_files_eq "what readers saw, fuse vs fuse2pt" "$T_WORK/cc-fuse" "$T_WORK/cc-fuse2pt"
	t_pass
else
	t_start same-as-stock
	t_fail "stock fuse is missing: nothing to compare with"
fi
rm -rf "$CC_SRC"
