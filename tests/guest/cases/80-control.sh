#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 240
#
# The control filesystem: /sys/fs/fuse2pt/connections/N beside stock
# fuse's /sys/fs/fuse/connections/N, with the same four files behaving the
# same way: waiting, abort, max_background, congestion_threshold. Beside
# them fuse2pt has only its passthrough counters (66-pt-counters).
. /tests/lib.sh
. /tests/lifelib.sh

t_start coexists-with-fusectl
if t_need_module; then
	t_check "/sys/fs/fuse2pt/connections exists" test -d "$LIFE_CTL"
	t_check "mount -t fuse2ptctl" life_ctl_mount
	t_expect_eq "type of the mount" "$(t_mount_type "$LIFE_CTL")" fuse2ptctl
	if [ -c /dev/fuse ]; then
		t_expect_eq "stock control fs still there" \
			"$(t_mount_type /sys/fs/fuse/connections)" fusectl
	fi
	t_expect_eq "empty without mounts" "$(ls -A "$LIFE_CTL")" ""
	t_check "a second mount is the same instance" \
		bash -c "mkdir -p $T_WORK/ctl2 && mount -t fuse2ptctl none $T_WORK/ctl2 && umount $T_WORK/ctl2"
fi
t_pass

# The files, their modes and defaults, and limits writes.
CTL_STOCK_FILES='abort|waiting|max_background|congestion_threshold'
files_test() {	# TYPE
	local type=$1 mnt=$T_WORK/mnt/ctl-$1 dir f
	t_mount "$type" "$mnt" stallsrv || return 1
	dir=$(life_conn_dir "$type" "$mnt")
	t_check "$type: $dir exists" test -d "$dir" || { t_umount "$mnt"; return 1; }
	# Stock's four files, compared with stock; fuse2pt's counters (see
	# 66-pt-counters) are the only files beside them.
	life_say "$type" "files: $(ls "$dir" | grep -Ex "$CTL_STOCK_FILES" | tr '\n' ' ')"
	if [ "$type" = fuse2pt ]; then
		t_expect_eq "fuse2pt: files beside stock's four" \
			"$(ls "$dir" | grep -Evx "$CTL_STOCK_FILES" | tr '\n' ' ')" \
			"backing_files open_cached open_direct open_passthrough passthrough_read_bytes passthrough_refused passthrough_refused_last passthrough_write_bytes "
	fi
	for f in abort waiting max_background congestion_threshold; do
		life_say "$type" "$f: mode $(stat -c %a "$dir/$f") owner $(stat -c %u:%g "$dir/$f")"
	done
	life_say "$type" "dir mode $(stat -c %a "$dir")"
	life_say "$type" "waiting $(cat "$dir/waiting")"
	life_say "$type" "max_background $(cat "$dir/max_background")"
	life_say "$type" "congestion_threshold $(cat "$dir/congestion_threshold")"
	echo 20 > "$dir/max_background"; life_say "$type" "write 20: $?"
	echo 15 > "$dir/congestion_threshold"; life_say "$type" "write 15: $?"
	life_say "$type" "now $(cat "$dir/max_background") $(cat "$dir/congestion_threshold")"
	(echo 65536 > "$dir/max_background") 2>/dev/null; life_say "$type" "write 65536: $?"
	(echo junk > "$dir/max_background") 2>/dev/null; life_say "$type" "write junk: $?"
	life_say "$type" "still $(cat "$dir/max_background")"
	t_check "$type: the mount still works" cmp -s -n 4096 "$mnt/file" "$mnt/file"
	t_umount "$mnt"
	t_check "$type: $dir gone after umount" test ! -e "$dir"
}

t_start files-and-limits
life_reset
for type in $(life_types); do files_test "$type"; done
life_compare files-and-limits
t_pass

# INIT's max_background and congestion_threshold are taken (root server).
init_limits_test() {	# TYPE
	local type=$1 mnt=$T_WORK/mnt/init-$1 dir
	t_mount "$type" "$mnt" stallsrv maxbg=33 cong=22 || return 1
	dir=$(life_conn_dir "$type" "$mnt")
	life_say "$type" "from INIT: $(cat "$dir/max_background") $(cat "$dir/congestion_threshold")"
	t_umount "$mnt"
}

t_start init-limits
life_reset
for type in $(life_types); do init_limits_test "$type"; done
life_compare init-limits
t_pass

# A read held by the server counts as waiting; abort ends it.
abort_test() {	# TYPE
	local type=$1 mnt=$T_WORK/mnt/abort-$1 dir p1 p2 out=$T_WORK/abort-$1
	t_mount "$type" "$mnt" stallsrv stall=read || return 1
	dir=$(life_conn_dir "$type" "$mnt")
	cat "$mnt/file" > /dev/null 2> "$out.1" & p1=$!
	life_wait_log "$mnt" 1 '^STALL read'
	dd if="$mnt/file" of=/dev/null bs=4k skip=100 count=1 2> "$out.2" & p2=$!
	sleep 1
	life_say "$type" "waiting with two readers: $(cat "$dir/waiting"), $(grep -c '^STALL read' "$(life_srv_log "$mnt")") reads at the server"
	echo 1 > "$dir/abort"; life_say "$type" "abort written: $?"
	life_gone $p1 "$LIFE_OP_TIMEOUT" || t_fail "$type: reader 1 still waiting after abort"
	life_gone $p2 "$LIFE_OP_TIMEOUT" || t_fail "$type: reader 2 still waiting after abort"
	wait $p1; life_say "$type" "cat: status $? $(cat "$out.1")"
	wait $p2; life_say "$type" "dd: status $? $(head -n1 "$out.2")"
	life_say "$type" "stat after abort: $(stat -c %F "$mnt" 2>&1)"
	life_say "$type" "waiting after abort: $(cat "$dir/waiting" 2>&1)"
	life_forget_srv "$mnt"
	t_check "$type: umount after abort" umount "$mnt"
	t_check "$type: $dir gone after umount" test ! -e "$dir"
}

t_start waiting-and-abort
life_reset
for type in $(life_types); do abort_test "$type"; done
life_compare waiting-and-abort
t_pass

# Background requests (RELEASE here) beyond max_background wait in the
# kernel; raising the limit lets them through.
bg_limit_test() {	# TYPE
	local type=$1 mnt=$T_WORK/mnt/bg-$1 dir i log
	t_mount "$type" "$mnt" stallsrv stall=release || return 1
	dir=$(life_conn_dir "$type" "$mnt")
	log=$(life_srv_log "$mnt")
	echo 2 > "$dir/max_background"
	for i in 1 2 3 4 5; do cat "$mnt/file" > /dev/null; done
	life_wait_log "$mnt" 2 '^STALL release'
	sleep 1
	life_say "$type" "limit 2: $(grep -c '^STALL release' "$log") releases at the server, waiting $(cat "$dir/waiting")"
	# fuse2pt lets the waiting ones go at once; stock fuse only when a
	# background request ends, so this is not compared
	echo 10 > "$dir/max_background"
	sleep 1
	t_note "$type: limit raised to 10: $(grep -c '^STALL release' "$log") releases at the server"
	echo 1 > "$dir/abort"
	life_say "$type" "after abort: waiting $(cat "$dir/waiting")"
	life_forget_srv "$mnt"
	t_check "$type: umount" umount "$mnt"
}

t_start background-limit
life_reset
for type in $(life_types); do bg_limit_test "$type"; done
life_compare background-limit
t_pass

t_start ctl-mount-pins-module
if t_need_module; then
	t_check_fails "rmmod refused while fuse2ptctl is mounted" rmmod fuse2pt
	t_check "umount fuse2ptctl" life_ctl_umount
	t_check "rmmod once it is not" t_wait_for 5 rmmod fuse2pt
	t_check "insmod again" insmod "$T_MOD"
	t_check "/dev/fuse2pt back" t_wait_for 5 test -c /dev/fuse2pt
	t_check "connections dir back" test -d "$LIFE_CTL"
fi
t_pass
life_ctl_umount
