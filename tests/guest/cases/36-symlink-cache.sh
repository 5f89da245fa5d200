#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# FUSE_CACHE_SYMLINKS (ptsrv --cache-symlinks, which counts READLINKs):
# readlink through the mount equals the source's; with the cache a second
# readlink, and following the link, send no READLINK; without it each
# does.  A target replaced on the source (a new symlink there) shows once
# the entry timeout (1s) ran out.  Stock fuse as the reference.

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/60-pt.lib"

# readlinks TYPE CACHE-OPTION: prints "label: result" lines
symlink_run() {
	local type=$1 mnt=$T_WORK/mnt/$1 n0 n1
	shift
	ptc_source
	echo data > "$T_SRC/target1"
	echo other > "$T_SRC/target2"
	ln -s target1 "$T_SRC/l"
	ln -s "$(head -c 3000 /dev/zero | tr '\0' x)" "$T_SRC/long"
	PTC_STATS=$T_WORK/stats-$type
	t_mount "$type" "$mnt" ptsrv --no-passthrough --mode cached \
		--stats "$PTC_STATS" "$@" "$T_SRC" || return 1
	echo "readlink: $(readlink "$mnt/l")"
	echo "long equal: $([ "$(readlink "$mnt/long")" = "$(readlink "$T_SRC/long")" ] && echo yes || echo no)"
	ptc_stats
	echo "cache_symlinks: $(ptc_stat cache_symlinks)"
	n0=$(ptc_stat readlink)
	readlink "$mnt/l" > /dev/null
	cat "$mnt/l" > /dev/null
	ptc_stats
	n1=$(ptc_stat readlink)
	echo "READLINKs for readlink+open again: $((n1 - n0))"
	rm "$T_SRC/l"
	ln -s target2 "$T_SRC/l"
	sleep 2
	echo "after replacing: $(readlink "$mnt/l") $(cat "$mnt/l")"
	t_umount "$mnt"
	umount "$T_SRC"
}

for mode in cache nocache; do
	opt=()
	[ $mode = cache ] && opt=(--cache-symlinks)
	for type in $(ptc_types); do
		t_start "$type:$mode"
		symlink_run "$type" "${opt[@]}" > "$T_WORK/out-$type-$mode" 2>&1
		sed 's/^/  | /' "$T_WORK/out-$type-$mode"
		if [ $mode = cache ]; then
			t_expect_eq "READLINKs after the first" "$(grep -c 'again: 0$' "$T_WORK/out-$type-$mode")" 1
		else
			t_expect_eq "READLINKs after the first" "$(grep -c 'again: 2$' "$T_WORK/out-$type-$mode")" 1
		fi
		t_expect_eq "target seen" "$(grep -c '^readlink: target1$' "$T_WORK/out-$type-$mode")" 1
		t_expect_eq "new target seen" "$(grep -c '^after replacing: target2 other$' "$T_WORK/out-$type-$mode")" 1
		t_pass
	done
	if [ -c /dev/fuse ]; then
		t_start "fuse2pt:$mode:same-as-stock"
		# the results, not the harness' notes (which name the type)
		grep -v '^ ' "$T_WORK/out-fuse-$mode" > "$T_WORK/cmp-fuse-$mode"
		grep -v '^ ' "$T_WORK/out-fuse2pt-$mode" > "$T_WORK/cmp-fuse2pt-$mode"
		t_expect_files_eq "fuse2pt equals stock fuse" "$T_WORK/cmp-fuse-$mode" "$T_WORK/cmp-fuse2pt-$mode" ||
			diff "$T_WORK/cmp-fuse-$mode" "$T_WORK/cmp-fuse2pt-$mode"
		t_pass
	fi
done
