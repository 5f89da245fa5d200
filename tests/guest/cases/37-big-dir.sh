#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A directory of 10,000 entries listed completely: made directly on the
# backing tmpfs (fast), then listed through libfuse's passthrough_ll on
# stock fuse and on fuse2pt.  Each listing, a first one (READDIRPLUS
# binds entries) and a second from a fresh open, must hold exactly the
# backing directory's names, and every entry must stat as a regular file.
# (posixsuite's dir group in 33-posix creates and removes its big
# directory through the mount, with fewer entries, to keep the run short.)
# timeout: 900
. /tests/lib.sh

ulimit -n 65536 || t_note "cannot raise the open-file limit"
N=${BIG_N:-10000}
BACK=$T_WORK/bigback

t_start big-listing
mkdir -p "$BACK"
t_check "backing tmpfs" mount -t tmpfs -o size=64m,mode=755 bigback "$BACK" || { t_pass; exit 0; }
mkdir "$BACK/big"
(cd "$BACK/big" && seq -f 'f%05.0f' 0 $((N - 1)) | xargs touch)
ls -f "$BACK/big" | LC_ALL=C sort > "$T_WORK/big.want"
t_expect_eq "entries on the backing directory" "$(wc -l < "$T_WORK/big.want")" $((N + 2))
for type in fuse fuse2pt; do
	mnt=$T_WORK/mnt/big-$type
	t_mount "$type" "$mnt" passthrough_ll -f -o source="$BACK" || continue
	for pass in 1 2; do
		timeout 600 ls -f "$mnt/big" | LC_ALL=C sort > "$T_WORK/big.$type.$pass"
		t_expect_files_eq "$type: listing $pass has every name" \
			"$T_WORK/big.want" "$T_WORK/big.$type.$pass"
	done
	t_expect_eq "$type: regular files found" \
		"$(timeout 600 find "$mnt/big" -type f | wc -l)" "$N"
	t_umount "$mnt"
done
t_check "umount backing tmpfs" umount "$BACK"
t_pass
