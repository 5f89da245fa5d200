# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The passthrough-server cases (30-*, 31-*, 32-*): one libfuse passthrough
# server over the tree t_make_tree builds in $T_SRC, mounted first on
# fuse2pt and then on stock fuse.  Each mount must show the source tree as
# it is (listing, stat fields, contents, symlinks, statfs, find, du), the
# server must exit on umount, and the two mounts must be indistinguishable
# (every snapshot file equal, st_dev aside).  Source after lib.sh.
#
#   pt_suite PROG SUBDIR [SERVER ARGS...]
#     SUBDIR: where the source tree appears inside the mount ("" when the
#     server exports $T_SRC itself, "tmp/src" for servers exporting /)

# stat fields that a passthrough mount must show exactly as the source.
PT_SAME_AS_SOURCE="size blocks mode uid gid nlink mtime ctime atime rdev"

pt_mounted_snapshot() {	# TYPE PROG SUBDIR ARGS...
	local type=$1 prog=$2 sub=$3 mnt snap d f
	shift 3
	mnt=$T_WORK/mnt/$type
	snap=$T_WORK/snap/$type
	d=$mnt${sub:+/$sub}

	t_start "$type:mount"
	if ! t_mount "$type" "$mnt" "$prog" "$@"; then
		t_pass
		PT_OK[$type]=0
		return 1
	fi
	PT_OK[$type]=1
	t_check "source tree visible at $d" test -f "$d/f4096"
	t_pass

	t_snapshot "$d" "$snap"

	t_start "$type:listing"
	t_expect_files_eq "ls -lanR" "$T_WORK/snap/src/ls" "$snap/ls"
	t_expect_files_eq "find -printf" "$T_WORK/snap/src/find" "$snap/find"
	t_pass

	t_start "$type:stat"
	t_stat_fields "$T_WORK/snap/src/stat" $PT_SAME_AS_SOURCE > "$T_WORK/snap/src.stat-same"
	t_stat_fields "$snap/stat" $PT_SAME_AS_SOURCE > "$snap/stat-same"
	t_expect_files_eq "stat fields ($PT_SAME_AS_SOURCE)" "$T_WORK/snap/src.stat-same" "$snap/stat-same"
	t_pass

	t_start "$type:contents"
	t_cmp_tree "$T_SRC" "$d"
	t_expect_files_eq "md5 of every file" "$T_WORK/snap/src/md5" "$snap/md5"
	t_check "a 3 MiB file reads back in 4 KiB blocks" \
		cmp "$T_SRC/f3145728" <(dd if="$d/f3145728" bs=4k status=none)
	t_check "a read at an odd offset" \
		cmp <(tail -c +4000 "$T_SRC/f1048593") <(tail -c +4000 "$d/f1048593")
	t_pass

	t_start "$type:readlink"
	t_expect_files_eq "readlink targets" "$T_WORK/snap/src/readlink" "$snap/readlink"
	t_expect_eq "readlink link-rel" "$(readlink "$d/link-rel")" f4096
	t_check "reading through a symlink" cmp "$T_SRC/f4096" "$d/link-rel"
	t_check "reading through a relative symlink upwards" cmp "$T_SRC/f100" "$d/a/b/link-up"
	t_pass

	t_start "$type:statfs"
	# f_type is the FUSE magic, not tmpfs'; everything else passes through.
	t_expect_eq "statfs" "$(cut -d'|' -f2- "$snap/statfs")" "$(cut -d'|' -f2- "$T_WORK/snap/src/statfs")"
	t_pass

	t_start "$type:du"
	t_expect_files_eq "du -s" "$T_WORK/snap/src/du" "$snap/du"
	t_expect_files_eq "du -s --apparent-size" "$T_WORK/snap/src/du-apparent" "$snap/du-apparent"
	t_expect_files_eq "du -a" "$T_WORK/snap/src/du-all" "$snap/du-all"
	t_pass

	t_start "$type:hardlink"
	t_expect_eq "hard link shares the inode" "$(stat -c %i "$d/a/hardlink")" "$(stat -c %i "$d/f65537")"
	t_expect_eq "hard link count" "$(stat -c %h "$d/a/hardlink")" 2
	t_pass

	t_start "$type:umount"
	t_umount "$mnt"
	t_check "nothing mounted at $mnt" bash -c "! mountpoint -q $mnt"
	t_pass
}

pt_suite() {
	local prog=$1 sub=$2 f
	shift 2
	declare -gA PT_OK=()

	t_start setup
	t_need_bin "$(basename "$prog")" || t_die "server $prog missing"
	t_make_tree "$T_SRC" || t_die "cannot build the source tree"
	# Read everything once: later reads through FUSE then change nothing.
	find "$T_SRC" -type f -exec cat {} + > /dev/null
	t_snapshot "$T_SRC" "$T_WORK/snap/src"
	t_pass

	pt_mounted_snapshot fuse2pt "$prog" "$sub" "$@"
	pt_mounted_snapshot fuse "$prog" "$sub" "$@"

	t_start fuse2pt-vs-fuse
	if [ "${PT_OK[fuse2pt]}" = 1 ] && [ "${PT_OK[fuse]}" = 1 ]; then
		for f in ls find stat statfs readlink md5 du du-apparent du-all; do
			t_expect_files_eq "$f" "$T_WORK/snap/fuse/$f" "$T_WORK/snap/fuse2pt/$f"
		done
		t_pass
	else
		t_fail "a mount failed; nothing to compare"
	fi

	t_start source-unchanged
	t_snapshot "$T_SRC" "$T_WORK/snap/src-after"
	for f in ls find stat md5; do
		t_expect_files_eq "$f" "$T_WORK/snap/src/$f" "$T_WORK/snap/src-after/$f"
	done
	t_pass
}
