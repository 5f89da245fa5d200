#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# A passthrough server (ptsrv, one backing file per inode) killed with
# SIGKILL while a reader, a writer and an mmap reader are busy on files
# they opened with passthrough: the I/O goes to the backing files, not to
# the server, so what the user sees next is the kernel's choice (go on,
# or an error from the dead connection); it must match stock fuse where
# stock has passthrough (6.9 on), and on every kernel nothing may hang,
# new opens must fail, and umount and rmmod must work.
. /tests/lib.sh
. /tests/lifelib.sh

BACK=$T_WORK/ptk-back
STEPS=60	# 4 KiB steps, 50 ms apart: the kill lands in the middle

# ptk_reader FILE: read STEPS blocks through one open fd, slowly
ptk_reader() {
	( exec 3< "$1" || { echo "open failed"; exit; }
	  for ((i = 0; i < STEPS; i++)); do
		dd bs=4k count=1 <&3 > /dev/null 2> "$T_WORK/ptk-rerr" ||
			{ echo "read: stopped: $(tail -n1 "$T_WORK/ptk-rerr")"; exit; }
		t_nap 0.05
	  done
	  echo "read: all $STEPS blocks" )
}

ptk_writer() {
	( exec 4<> "$1" || { echo "open failed"; exit; }
	  for ((i = 0; i < STEPS; i++)); do
		dd if=/dev/zero bs=4k count=1 >&4 2> "$T_WORK/ptk-werr" ||
			{ echo "write: stopped: $(tail -n1 "$T_WORK/ptk-werr")"; exit; }
		t_nap 0.05
	  done
	  echo "write: all $STEPS blocks" )
}

ptk_test() {	# TYPE
	local type=$1 mnt=$T_WORK/mnt/ptk-$1 pr pw pm
	rm -rf "${BACK:?}"/*
	head -c $((STEPS * 4096)) /dev/urandom > "$BACK/r"
	head -c $((STEPS * 4096)) /dev/urandom > "$BACK/m"
	: > "$BACK/w"
	t_mount "$type" "$mnt" ptsrv --mode pt "$BACK" || return 1
	ptk_reader "$mnt/r" > "$T_WORK/ptk-r" 2>&1 & pr=$!
	ptk_writer "$mnt/w" > "$T_WORK/ptk-w" 2>&1 & pw=$!
	LIFEIO_PAGE_DELAY_MS=50 timeout -s KILL 60 "$T_BIN/lifeio" mmap "$mnt/m" > "$T_WORK/ptk-m" 2>&1 & pm=$!
	sleep 1
	kill -KILL "$T_SRV_PID"
	life_gone $pr 30 || t_fail "$type: the passthrough reader hangs after the server died"
	life_gone $pw 30 || t_fail "$type: the passthrough writer hangs after the server died"
	life_gone $pm 30 || t_fail "$type: the mmap reader hangs after the server died"
	wait $pr; wait $pw
	wait $pm; life_say "$type" "mmap: status $? $(grep -v ready "$T_WORK/ptk-m" | sed "s/ (sum [0-9]*)//" | tr '\n' ' ')"
	life_say "$type" "reader: $(cat "$T_WORK/ptk-r")"
	life_say "$type" "writer: $(cat "$T_WORK/ptk-w")"
	life_say "$type" "new open: $(cat "$mnt/r" 2>&1 > /dev/null | sed 's/^cat: [^:]*: //')"
	life_forget_srv "$mnt"
	t_check "$type: umount after the server died" umount "$mnt"
}

t_start setup
t_need_module || exit 0
t_need_bin ptsrv || exit 0
t_need_bin lifeio || exit 0
mkdir -p "$BACK"
t_check "backing tmpfs" mount -t tmpfs -o size=64m ptkback "$BACK" || exit 0
_t_name=""

t_start killed-during-passthrough-io
life_reset
ptk_test fuse2pt
t_expect_eq "fuse2pt: a new open after the death" \
	"$(grep '^new open:' "$T_WORK/transcript-fuse2pt" | sed -E 's/Input\/output error|Transport endpoint is not connected|Software caused connection abort/DEAD/')" \
	"new open: DEAD"
t_note "fuse2pt saw: $(tr '\n' '|' < "$T_WORK/transcript-fuse2pt")"
t_pass

t_start stock-reference
if [ -c /dev/fuse ] && t_kernel_at_least 6.9; then	# stock passthrough came in 6.9
	ptk_test fuse
	life_compare killed-during-passthrough-io
	t_pass
else
	t_skip "stock fuse on $(uname -r) has no passthrough (before 6.9): no reference on this kernel"
fi
umount "$BACK"
