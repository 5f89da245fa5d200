#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 400
#
# FUSE_IOCTL (restricted form) and FUSE_POLL, on fuse2pt and on stock fuse.
#
#   fioc      libfuse's ioctl example (3.17) with its ioctl_client: the
#             file's size got and set through ioctl, the data read and
#             written around it; ioctls it refuses, on the file and on
#             the directory (FUSE_IOCTL_DIR)
#   fsel      libfuse's poll example with its poll_client: 16 rounds of
#             select() over 16 files, each round woken by the server's
#             NOTIFY_POLL (without working wakeups the client hangs)
#   raw       rawbad (tests/servers/rawbad.c, hidden mode "ioctl"): good
#             and broken IOCTL replies (more data than asked, RETRY in
#             restricted mode, a result that is no errno, a short reply,
#             iovecs, an out-of-range header error), and NOTIFY_POLL with
#             a garbage handle, handle 0, a short message, the right
#             handle, and the handle of a file closed meanwhile
#   enosys    rawbad "ioctl-enosys": IOCTL and POLL answered ENOSYS
#   killed    a poller asleep on a file when the server is killed: woken,
#             it sees POLLERR; the mount can be unmounted
#
# What the user sees (status and output of each operation) and what the
# server sees (requests, write() verdicts) must be the same on both,
# except where a comment below says why not.  The runner checks dmesg.
. /tests/lib.sh

IP_OP_TIMEOUT=30	# below the guest's hung-task timeout

ip_res() { echo "$T_WORK/ip-$1-$2.res"; }	# KIND TEST

# ip_op FILE LABEL CMD...: run CMD bounded, append "LABEL: rc=N output".
ip_op() {
	local res=$1 label=$2 out rc
	shift 2
	out=$(timeout -s KILL "$IP_OP_TIMEOUT" "$@" 2>&1)
	rc=$?
	[ $rc != 137 ] || _t_mark_fail "'$*' hung for ${IP_OP_TIMEOUT}s"
	echo "$label: rc=$rc $(printf '%s' "$out" | paste -sd/)" >> "$res"
}

# ---- fioc: libfuse's ioctl example ----

ip_fioc() {	# KIND
	local k=$1 mnt=$T_WORK/mnt/fioc-$1 res f
	res=$(ip_res "$k" fioc)
	: > "$res"
	# attributes are not cached: sizes set by ioctl are seen at once
	t_mount "$k" "$mnt" ioctl -f -o attr_timeout=0 -o entry_timeout=0 || return 1
	f=$mnt/fioc
	ip_op "$res" get-0 "$T_BIN/ioctl_client" "$f"
	ip_op "$res" set-5 "$T_BIN/ioctl_client" "$f" 5
	ip_op "$res" get-5 "$T_BIN/ioctl_client" "$f"
	ip_op "$res" data-5 od -An -tx1 "$f"
	ip_op "$res" write sh -c "printf hello-world > '$f'"
	ip_op "$res" get-11 "$T_BIN/ioctl_client" "$f"
	ip_op "$res" data-11 cat "$f"
	ip_op "$res" set-3 "$T_BIN/ioctl_client" "$f" 3
	ip_op "$res" get-3 "$T_BIN/ioctl_client" "$f"
	ip_op "$res" stat-3 stat -c %s "$f"
	ip_op "$res" data-3 cat "$f"
	ip_op "$res" unknown-cmd "$T_BIN/iopoll" ioctl "$f" 1 rw 8
	ip_op "$res" no-data-cmd "$T_BIN/iopoll" ioctl "$f" 11 none 0
	ip_op "$res" dir-ioctl "$T_BIN/iopoll" ioctl "$mnt" 1 rw 8
	t_umount "$mnt"
}

ip_fioc_assert() {	# KIND
	local res
	res=$(ip_res "$1" fioc)
	grep -q '^get-5: rc=0 5$' "$res" || _t_mark_fail "$1: FIOC_SET_SIZE/GET_SIZE: $(grep '^get-5' "$res")"
	grep -q '^get-11: rc=0 11$' "$res" || _t_mark_fail "$1: size after a write: $(grep '^get-11' "$res")"
	grep -q '^data-3: rc=0 hel$' "$res" || _t_mark_fail "$1: data after FIOC_SET_SIZE 3: $(grep '^data-3' "$res")"
	grep -q '^unknown-cmd: rc=0 err=EINVAL$' "$res" || _t_mark_fail "$1: unknown ioctl: $(grep '^unknown-cmd' "$res")"
}

# ---- fsel: libfuse's poll example ----

ip_fsel() {	# KIND
	local k=$1 mnt=$T_WORK/mnt/fsel-$1 res out log
	res=$(ip_res "$k" fsel)
	out=$T_WORK/fsel-$k.out
	: > "$res"
	t_mount "$k" "$mnt" poll -f || return 1
	log=${_t_srv_log[$mnt]}
	(cd "$mnt" && timeout -s KILL 120 "$T_BIN/poll_client") > "$out" 2>&1
	echo "client: rc=$?" >> "$res"
	t_umount "$mnt"
	# the rounds' timing differs from run to run; their shape does not
	echo "rounds: $(grep -c ':' "$out")" >> "$res"
	echo "empty-rounds: $(grep -c -v '[0-9A-F]:[0-9]' "$out")" >> "$res"
	echo "notified: $(grep -q '^NOTIFY' "$log" && echo yes || echo no)" >> "$res"
	t_note "$k poll_client: $(head -n 3 "$out" | paste -sd'|')"
}

ip_fsel_assert() {
	local res
	res=$(ip_res "$1" fsel)
	grep -qx 'client: rc=0' "$res" || _t_mark_fail "$1: poll_client: $(grep client: "$res")"
	grep -qx 'rounds: 16' "$res" || _t_mark_fail "$1: poll_client: $(grep rounds: "$res")"
	grep -qx 'empty-rounds: 0' "$res" || _t_mark_fail "$1: poll_client: $(grep empty-rounds "$res")"
	grep -qx 'notified: yes' "$res" || _t_mark_fail "$1: the server never sent NOTIFY_POLL"
}

# ---- raw: rawbad "ioctl" and "ioctl-enosys" ----

# ip_ctl LOG CTL CMD: have rawbad send CMD; wait for its verdict.
ip_ctl() {
	echo "$3" > "$2"
	t_wait_for 10 grep -q "^rawbad: \(notify\|ctl\) $3:" "$1" ||
		_t_mark_fail "rawbad did not act on '$3'"
}

ip_raw() {	# KIND
	local k=$1 mnt=$T_WORK/mnt/raw-$1 res f log ctl p pout
	res=$(ip_res "$k" raw)
	: > "$res"
	ctl=$T_WORK/raw-$k.ctl
	rm -f "$ctl"
	mkfifo "$ctl"
	export RAWBAD_CTL=$ctl
	t_mount "$k" "$mnt" rawbad ioctl || { unset RAWBAD_CTL; return 1; }
	unset RAWBAD_CTL
	log=${_t_srv_log[$mnt]}
	f=$mnt/file
	ip_op "$res" good "$T_BIN/iopoll" ioctl "$f" 1 rw 8
	ip_op "$res" data-longer "$T_BIN/iopoll" ioctl "$f" 2 r 4
	ip_op "$res" retry "$T_BIN/iopoll" ioctl "$f" 3 r 4
	ip_op "$res" result-600 "$T_BIN/iopoll" ioctl "$f" 4 none 0
	ip_op "$res" result-enosys "$T_BIN/iopoll" ioctl "$f" 5 none 0
	ip_op "$res" short "$T_BIN/iopoll" ioctl "$f" 6 r 4
	ip_op "$res" iovs "$T_BIN/iopoll" ioctl "$f" 7 r 4
	ip_op "$res" error-600 "$T_BIN/iopoll" ioctl "$f" 8 none 0
	ip_op "$res" partial "$T_BIN/iopoll" ioctl "$f" 9 r 16
	ip_op "$res" no-data "$T_BIN/iopoll" ioctl "$f" 11 none 0
	ip_op "$res" write-only "$T_BIN/iopoll" ioctl "$f" 1 w 8
	ip_op "$res" dir "$T_BIN/iopoll" ioctl "$mnt" 11 none 0
	ip_op "$res" good-again "$T_BIN/iopoll" ioctl "$f" 1 rw 8

	# poll: not ready; then a sleeper that only the right handle wakes
	ip_op "$res" poll-now "$T_BIN/iopoll" poll "$f" 0
	pout=$T_WORK/raw-$k.poll
	timeout -s KILL 60 "$T_BIN/iopoll" poll "$f" 50000 > "$pout" 2>&1 & p=$!
	t_wait_for 20 grep -q '^rawbad: poll flags=0x1 ' "$log" ||
		_t_mark_fail "$k: no POLL asking for a notification reached the server"
	ip_ctl "$log" "$ctl" poll-garbage
	ip_ctl "$log" "$ctl" poll-kh0
	ip_ctl "$log" "$ctl" poll-short
	sleep 1
	echo "asleep-after-bad-notifications: $(kill -0 $p 2>/dev/null && echo yes || echo no)" >> "$res"
	ip_ctl "$log" "$ctl" poll-ready
	t_wait_for 20 _t_gone $p || _t_mark_fail "$k: the poller was not woken by NOTIFY_POLL"
	kill -KILL $p 2>/dev/null
	wait $p
	echo "poller: $(cat "$pout")" >> "$res"
	# the file is closed: its handle wakes nobody, and is no error
	ip_ctl "$log" "$ctl" poll-stale
	ip_op "$res" poll-ready "$T_BIN/iopoll" poll "$f" 5000

	# last: ENOSYS for IOCTL itself
	ip_op "$res" enosys "$T_BIN/iopoll" ioctl "$f" 10 none 0
	ip_op "$res" after-enosys "$T_BIN/iopoll" ioctl "$f" 1 rw 8
	t_umount "$mnt"
	# sorted: a notification's verdict is logged by rawbad's notify
	# thread after write() returns, and the poller it woke may get its
	# next POLL logged first (seen on 6.12)
	grep -E '^rawbad: (ioctl|poll|bad-write|notify|count IOCTL|count POLL)' "$log" |
		sed 's/^rawbad: /server: /' | LC_ALL=C sort >> "$res"
	rm -f "$ctl"
}

ip_enosys() {	# KIND
	local k=$1 mnt=$T_WORK/mnt/enosys-$1 res f log
	res=$(ip_res "$k" enosys)
	: > "$res"
	t_mount "$k" "$mnt" rawbad ioctl-enosys || return 1
	log=${_t_srv_log[$mnt]}
	f=$mnt/file
	ip_op "$res" ioctl-1 "$T_BIN/iopoll" ioctl "$f" 1 rw 8
	ip_op "$res" ioctl-2 "$T_BIN/iopoll" ioctl "$f" 1 rw 8
	ip_op "$res" dir-ioctl "$T_BIN/iopoll" ioctl "$mnt" 1 rw 8
	ip_op "$res" poll-1 "$T_BIN/iopoll" poll "$f" 5000
	ip_op "$res" poll-2 "$T_BIN/iopoll" poll "$f" 5000
	t_umount "$mnt"
	grep -E '^rawbad: count (IOCTL|POLL)' "$log" | sed 's/^rawbad: /server: /' >> "$res"
}

ip_killed() {	# KIND
	local k=$1 mnt=$T_WORK/mnt/killed-$1 res log p pout st
	res=$(ip_res "$k" killed)
	: > "$res"
	t_mount "$k" "$mnt" rawbad ioctl || return 1
	log=${_t_srv_log[$mnt]}
	pout=$T_WORK/killed-$k.poll
	timeout -s KILL 60 "$T_BIN/iopoll" poll "$mnt/file" 50000 > "$pout" 2>&1 & p=$!
	t_wait_for 20 grep -q '^rawbad: poll flags=0x1 ' "$log" ||
		_t_mark_fail "$k: no POLL asking for a notification reached the server"
	kill -KILL "$T_SRV_PID"
	t_wait_for 20 _t_gone $p || _t_mark_fail "$k: the poller sleeps on after the server died"
	kill -KILL $p 2>/dev/null
	wait $p
	echo "poller: $(cat "$pout")" >> "$res"
	wait "$T_SRV_PID" 2>/dev/null
	unset "_t_srv_pid[$mnt]"
	if timeout 30 umount "$mnt"; then st=ok; else st=failed; umount -l "$mnt"; fi
	echo "umount: $st" >> "$res"
	grep -qx 'poller: rc=1 revents=0x8' "$res" || _t_mark_fail "$k: poller after the server died: $(grep poller: "$res")"
	grep -qx 'umount: ok' "$res" || _t_mark_fail "$k: umount after the server died failed"
}

ip_want() {	# KIND TEST LABEL PATTERN
	local line
	line=$(grep -E "^$3: " "$(ip_res "$1" "$2")")
	[[ $line =~ $4 ]] || _t_mark_fail "$1 $2: $3: got '$line', want /$4/"
}

ip_raw_assert() {	# KIND
	local k=$1
	ip_want "$k" raw good '^good: rc=0 ret=7 data=2a00000000000000$'
	ip_want "$k" raw data-longer 'err=EIO$'
	ip_want "$k" raw retry 'err=EIO$'
	# stock before 6.1 passes the server's ENOSYS on to the caller
	local enotty='err=ENOTTY$'
	if [ "$k" = fuse ] && ! t_kernel_at_least 6.1; then
		enotty='err=(ENOTTY|ENOSYS)$'
		t_note "stock fuse of $(uname -r) may give the caller the server's ENOSYS for an ioctl; fuse2pt gives ENOTTY, as stock does from 6.1 on"
	fi
	ip_want "$k" raw result-enosys "$enotty"
	ip_want "$k" raw short 'err=EIO$'
	ip_want "$k" raw error-600 'err=EPERM$'
	ip_want "$k" raw partial 'ret=5 data=3031323334(00)+$'
	ip_want "$k" raw no-data 'ret=11$'
	ip_want "$k" raw dir 'ret=11$'
	grep -qx 'server: ioctl 11 in=0 out=0 flags=0x10' "$(ip_res "$k" raw)" ||
		_t_mark_fail "$k: no directory ioctl (flags FUSE_IOCTL_DIR) reached the server"
	ip_want "$k" raw poll-now 'rc=0 revents=0$'
	ip_want "$k" raw asleep-after-bad-notifications 'yes$'
	ip_want "$k" raw poller 'rc=1 revents=0x1$'
	ip_want "$k" raw poll-ready 'rc=1 revents=0x1$'
	ip_want "$k" raw 'server: notify poll-ready' 'accepted$'
	ip_want "$k" raw 'server: notify poll-short' 'rejected EINVAL$'
	ip_want "$k" raw enosys "$enotty"
	ip_want "$k" enosys ioctl-1 "$enotty"
	ip_want "$k" enosys ioctl-2 "$enotty"
	ip_want "$k" enosys poll-1 'rc=1 revents=0x1$'
	ip_want "$k" enosys poll-2 'rc=1 revents=0x1$'
	grep -qx 'server: count POLL 1' "$(ip_res "$k" enosys)" ||
		_t_mark_fail "$k: POLL after ENOSYS: $(grep 'count POLL' "$(ip_res "$k" enosys)")"
	if [ "$k" = fuse2pt ]; then
		# SPEC: every reply is checked; these are broken ones
		ip_want "$k" raw result-600 'err=EIO$'
		ip_want "$k" raw iovs 'err=EIO$'
		# ENOSYS: never asked again
		ip_want "$k" raw after-enosys 'err=ENOTTY$'
		grep -qx 'server: count IOCTL 1' "$(ip_res "$k" enosys)" ||
			_t_mark_fail "$k: IOCTL after ENOSYS: $(grep 'count IOCTL' "$(ip_res "$k" enosys)")"
	fi
}

# Where stock fuse differs by design, both results are rewritten to the
# same words before the comparison; each rule says why.
ip_loosen() {	# TEST FILE
	# Stock before 6.1 gives the caller ENOSYS where later stock and
	# fuse2pt give ENOTTY (asserted above): the same answer here.
	if ! t_kernel_at_least 6.1; then
		sed -E 's/^(result-enosys|enosys|ioctl-[12]|dir-ioctl): rc=0 err=ENOSYS$/\1: rc=0 err=ENOTTY/' "$2" > "$2.old-stock"
		set -- "$1" "$2.old-stock"
	fi
	case $1 in
	raw)
		# Stock passes a result of -600 on as it is (the caller sees
		# "error 600"), takes out_iovs without RETRY as success, and
		# asks a server that said ENOSYS again (so the ioctl after it
		# reaches the server and succeeds); fuse2pt gives EIO, EIO and
		# ENOTTY (asserted above).  Stock takes up to a page of data
		# (and fails the caller), fuse2pt refuses the write: the
		# caller sees EIO on both.
		sed -E -e 's/^(result-600|iovs|after-enosys): .*/\1: differs by design/' \
		       -e '/^server: ioctl 1 in=8 out=8 flags=0$/d' \
		       -e '/^server: count IOCTL /d' "$2" | uniq
		;;
	enosys)
		grep -v '^server: count IOCTL ' "$2"
		;;
	*)
		cat "$2"
		;;
	esac
}

ip_compare() {	# TEST
	local a b
	a=$(ip_loosen "$1" "$(ip_res fuse2pt "$1")")
	b=$(ip_loosen "$1" "$(ip_res fuse "$1")")
	if [ "$a" != "$b" ]; then
		diff -u --label "stock fuse" --label fuse2pt <(echo "$b") <(echo "$a")
		_t_mark_fail "$1: results differ from stock fuse: $(diff <(echo "$b") <(echo "$a") | grep '^[<>]' | paste -sd' ')"
	fi
}

ip_have_stock() {
	[ -c /dev/fuse ] || modprobe fuse 2>/dev/null
	[ -c /dev/fuse ] && grep -qw fuse /proc/filesystems
}

ip_test() {	# TEST
	local t=$1 k
	t_start "$t"
	t_need_module || return
	for k in ioctl ioctl_client poll poll_client iopoll rawbad; do
		t_need_bin "$k" || return
	done
	ip_have_stock || { t_fail "stock fuse is missing: nothing to compare with"; return; }
	for k in fuse2pt fuse; do
		"ip_$t" "$k" || return
		case $t in
		fioc) ip_fioc_assert "$k" ;;
		fsel) ip_fsel_assert "$k" ;;
		esac
	done
	[ "$t" = enosys ] || [ "$t" = raw ] || ip_compare "$t"
	[ "$t" != raw ] ||
		t_note "stock fuse, where it differs by design: $(grep -E '^(result-600|iovs|after-enosys):' "$(ip_res fuse raw)" | paste -sd' ')"
	t_note "fuse2pt results:"
	sed 's/^/  |   /' "$(ip_res fuse2pt "$t")"
	t_pass
}

ip_test fioc
ip_test fsel
ip_test raw
ip_test enosys
ip_test killed

# raw and enosys are judged together: asserts need both runs' files
t_start raw-enosys-checks
for k in fuse2pt fuse; do
	[ -f "$(ip_res "$k" raw)" ] && [ -f "$(ip_res "$k" enosys)" ] ||
		{ _t_mark_fail "$k: raw or enosys results missing"; continue; }
	ip_raw_assert "$k"
done
for t in raw enosys; do
	[ -f "$(ip_res fuse2pt "$t")" ] && [ -f "$(ip_res fuse "$t")" ] && ip_compare "$t"
done
t_pass
