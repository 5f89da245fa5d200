#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The demo (make demo / tests/demo.sh): libfuse's passthrough_ll mounted
# on fuse2pt over a small tree, looked at with everyday commands.
T_CASE=demo
. /tests/lib.sh

run() { printf '\n# %s\n' "$*"; "$@"; }

echo
echo "==================== fuse2pt demo on $(uname -r) ===================="
insmod "$T_MOD" || echo "!! insmod $T_MOD failed"
t_wait_for 5 test -c /dev/fuse2pt
run grep fuse2pt /proc/modules /proc/filesystems
run ls -l /dev/fuse2pt /dev/fuse

mkdir -p "$T_SRC/docs"
echo "Hello from a file passed through fuse2pt." > "$T_SRC/hello.txt"
seq 1 1000 > "$T_SRC/docs/numbers"
ln -s hello.txt "$T_SRC/link"

MNT=/mnt/demo
t_start demo
if t_mount fuse2pt "$MNT" passthrough_ll -f -o source="$T_SRC"; then
	run eval "mount | grep fuse2pt"
	run ls -l "$MNT" "$MNT/docs"
	run cat "$MNT/hello.txt"
	run eval "tail -n 3 $MNT/docs/numbers"
	run stat -f "$MNT"
	run stat "$MNT/link"
	printf '\n# umount %s\n' "$MNT"
	t_umount "$MNT"
	run eval "mount | grep fuse2pt || echo '(no fuse2pt mounts)'"
	run rmmod fuse2pt
fi
t_pass
echo
echo "==================== end of demo ===================="
echo
