#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# fuse2pt and stock fuse mounted at the same time, by the same server
# over the same tree, do not notice each other.
# timeout: 240
. /tests/lib.sh

A=$T_WORK/mnt/fuse2pt B=$T_WORK/mnt/fuse

t_start setup
t_make_tree "$T_SRC" || t_die "cannot build the source tree"
find "$T_SRC" -type f -exec cat {} + > /dev/null
t_pass

t_start both-mounted
t_mount fuse2pt "$A" passthrough_ll -f -o source="$T_SRC" &&
t_mount fuse "$B" passthrough_ll -f -o source="$T_SRC" &&
{
	t_expect_eq "type of the fuse2pt mount" "$(t_mount_type "$A")" fuse2pt.passthrough_ll
	t_expect_eq "type of the stock mount" "$(t_mount_type "$B")" fuse.passthrough_ll
	t_check "different st_dev" test "$(stat -c %d "$A")" != "$(stat -c %d "$B")"
}
t_pass

if t_is_mounted "$A" && t_is_mounted "$B"; then
	t_start same-view
	t_snapshot "$A" "$T_WORK/snap/a"
	t_snapshot "$B" "$T_WORK/snap/b"
	for f in ls find stat statfs readlink md5 du du-all; do
		t_expect_files_eq "$f" "$T_WORK/snap/b/$f" "$T_WORK/snap/a/$f"
	done
	t_pass

	t_start interleaved-reads
	for f in f1048593 f4097 a/b/deeper; do
		exec 5<"$A/$f" 6<"$B/$f"
		t_check "$f: alternate 4 KiB reads agree" cmp <(head -c 8192 <&5) <(head -c 8192 <&6)
		exec 5<&- 6<&-
	done
	t_pass

	t_start write-one-read-other
	head -c 200000 /dev/urandom > "$T_WORK/new"
	t_check "write through fuse2pt" cp "$T_WORK/new" "$A/new-via-fuse2pt"
	t_check "read it through stock fuse" cmp "$T_WORK/new" "$B/new-via-fuse2pt"
	t_check "write through stock fuse" cp "$T_WORK/new" "$B/new-via-fuse"
	t_check "read it through fuse2pt" cmp "$T_WORK/new" "$A/new-via-fuse"
	t_check "both in the source" cmp "$T_SRC/new-via-fuse" "$T_SRC/new-via-fuse2pt"
	t_pass

	t_start umount-stock-first
	t_umount "$B"
	t_check "fuse2pt mount still works" cmp "$T_SRC/f65537" "$A/f65537"
	t_umount "$A"
	t_pass
fi

A=$T_WORK/mnt/hello-fuse2pt B=$T_WORK/mnt/hello-fuse
t_start hello-both
if t_mount fuse2pt "$A" hello_ll -f && t_mount fuse "$B" hello_ll -f; then
	t_expect_eq "fuse2pt" "$(cat "$A/hello")" "Hello World!"
	t_expect_eq "stock" "$(cat "$B/hello")" "Hello World!"
	t_umount "$A"
	t_expect_eq "stock after fuse2pt umount" "$(cat "$B/hello")" "Hello World!"
	t_umount "$B"
fi
t_pass
