#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# FUSE_DEV_IOC_CLONE: a multi-threaded server gives each thread a device
# fd of its own; requests are read from any and answered on any.
. /tests/lib.sh
. /tests/lifelib.sh

# stallsrv with 4 cloned fds, READs slow enough that several threads are
# busy at once.  On fuse2pt every reply is written on another thread's fd
# (any fd of the connection takes any reply); stock fuse wants each reply
# on the fd its request was read from, and refuses others with ENOENT.
raw_clone_test() {	# TYPE
	local type=$1 mnt=$T_WORK/mnt/clone-$1 i pids=() sum want log cross=
	[ "$type" = fuse2pt ] && cross=cross
	t_mount "$type" "$mnt" stallsrv threads=4 $cross dio delay=20 || return 1
	log=$(life_srv_log "$mnt")
	want=$(md5sum < "$mnt/file")
	for i in 1 2 3 4 5 6 7 8; do
		md5sum < "$mnt/file" > "$T_WORK/sum-$type-$i" & pids+=($!)
	done
	for i in "${pids[@]}"; do
		life_gone "$i" 60 || t_fail "$type: a reader hangs"
		wait "$i"
	done
	for i in 1 2 3 4 5 6 7 8; do
		sum=$(cat "$T_WORK/sum-$type-$i")
		[ "$sum" = "$want" ] || t_fail "$type: reader $i read other data ($sum, want $want)"
	done
	t_umount "$mnt"
	t_note "$type: server: $(tr '\n' ' ' < "$log")"
	t_check "$type: no clone error" bash -c "! grep -q FUSE_DEV_IOC_CLONE $log"
	used=$(sed -n 's/^threads-used //p' "$log")
	t_check "$type: requests were served by several threads ($used)" test "${used:-0}" -ge 2
	life_say "$type" "8 parallel readers over 4 cloned fds: data ok"
}

t_start raw-clone-cross-replies
life_reset
for type in $(life_types); do raw_clone_test "$type"; done
life_compare raw-clone-cross-replies
t_pass

# The fds of the device numbered like /dev/fuse2pt among PID's fds.
dev_fds_of() {	# PID DEVNODE
	local want f n=0
	want=$(stat -L -c %t:%T "$2")
	for f in /proc/"$1"/fd/*; do
		[ "$(stat -L -c %t:%T "$f" 2>/dev/null)" = "$want" ] && n=$((n + 1))
	done
	echo $n
}

# libfuse 3.17's passthrough_ll with -o clone_fd.  libfuse opens
# "/dev/fuse" for its clones, so on fuse2pt /dev/fuse2pt is bound over
# /dev/fuse for the duration (stock fuse would refuse to clone a fuse2pt
# fd, and libfuse would carry on without clones).
libfuse_clone_test() {	# TYPE
	local type=$1 mnt=$T_WORK/mnt/ll-$1 node=/dev/$1 bound=0 i pids=() n log
	t_need_bin passthrough_ll || return 1
	if [ "$type" = fuse2pt ]; then
		[ -e /dev/fuse ] || { touch /dev/fuse; bound=2; }
		t_check "bind /dev/fuse2pt over /dev/fuse" mount --bind /dev/fuse2pt /dev/fuse || return 1
		[ $bound = 2 ] || bound=1
	fi
	mkdir -p "$T_WORK/src-$type"
	for i in 1 2 3 4 5 6; do head -c 3000000 /dev/urandom > "$T_WORK/src-$type/f$i"; done
	if t_mount "$type" "$mnt" passthrough_ll -f -o clone_fd -o source="$T_WORK/src-$type" -o cache=never; then
		log=$(life_srv_log "$mnt")
		for i in 1 2 3 4 5 6; do
			cmp "$mnt/f$i" "$T_WORK/src-$type/f$i" & pids+=($!)
		done
		for i in "${pids[@]}"; do
			life_gone "$i" 60 || t_fail "$type: a reader hangs"
			wait "$i" || t_fail "$type: content differs"
		done
		n=$(dev_fds_of "$T_SRV_PID" "$node")
		t_note "$type: passthrough_ll holds $n fds of $node"
		t_check "$type: passthrough_ll cloned its fd ($n fds of $node)" test "$n" -ge 2
		t_check "$type: libfuse did not fall back" bash -c "! grep -q 'failed to clone' $log"
		t_umount "$mnt"
		life_say "$type" "passthrough_ll -o clone_fd: data ok, clones made"
	fi
	[ $bound != 0 ] && umount /dev/fuse
	[ $bound = 2 ] && rm -f /dev/fuse
	rm -rf "$T_WORK/src-$type"
}

t_start libfuse-clone-fd
life_reset
for type in $(life_types); do libfuse_clone_test "$type"; done
life_compare libfuse-clone-fd
t_pass

t_start clone-refusals
if t_need_module && t_need_bin lifeio; then
	t_expect_eq "clone of a non-device fd" "$(lifeio clone /dev/fuse2pt /etc/hostname)" "error EINVAL"
	t_expect_eq "clone of an unmounted device fd" "$(lifeio clone /dev/fuse2pt /dev/fuse2pt)" "error EINVAL"
fi
t_pass
