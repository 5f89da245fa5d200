#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 400
#
# Raw-protocol tests: rawsrv (tests/servers/rawsrv.c) sends one malformed
# reply per mode, and the kernel must turn it into an error for that one
# operation (or reject the write), never into a hang, a crash or a mount
# that cannot be unmounted.  Where stock fuse is present it runs the same
# mode and is the reference: fuse2pt must give the user the same exit
# status and message, and the server the same write() verdicts.
#
# The behaviour recorded in RAW_EXPECT below is mainline's, checked on
# stock fuse (6.18); it is the reference only when /dev/fuse is missing.
#
# Environment (all optional; defaults are the guest's):
#   FUSE2PT_BIN      directory of fuse2pt-mount and rawsrv ($T_BIN)
#   RAW_MNT          mount point (/mnt/raw)
#   RAW_SUBJECT      fuse2pt, or fuse to run the cases on stock fuse alone
#                    (how this file was checked on a host without fuse2pt:
#                    T_RESULTS=/dev/null RAW_SUBJECT=fuse bash THIS_FILE)
#   RAW_OP_TIMEOUT   seconds an operation may take before it is a hang (15,
#                    below the guest's 20 s hung-task timeout)
#   RAW_MODES        space-separated subset of the test names to run

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

RAW_BIN=${FUSE2PT_BIN:-$T_BIN}
RAW_MOUNT=$RAW_BIN/fuse2pt-mount
RAW_SRV=$RAW_BIN/rawsrv
RAW_MNT=${RAW_MNT:-/mnt/raw}
RAW_SUBJECT=${RAW_SUBJECT:-fuse2pt}
RAW_OP_TIMEOUT=${RAW_OP_TIMEOUT:-15}

STAT_FILE="stat -c %F,%s,%a $RAW_MNT/file"
STAT_ROOT="stat -c %F,%s,%a $RAW_MNT"
LS_ROOT="ls -1a $RAW_MNT"

# mode | operation | exit status | output ('/' joins lines) | bad-write verdicts ('/' joins)
RAW_EXPECT="
init-bad-major   |$STAT_FILE|1|stat: cannot statx '$RAW_MNT/file': Connection refused|
init-short       |$STAT_FILE|1|stat: cannot statx '$RAW_MNT/file': Input/output error|
wrong-len        |$STAT_FILE|0|regular file,18,644|len-larger-than-written: rejected EINVAL
wrong-len-short  |$STAT_FILE|1|stat: cannot statx '$RAW_MNT/file': Input/output error|short-attr-out: rejected EINVAL
unknown-unique   |$STAT_FILE|0|regular file,18,644|unknown-unique: rejected ENOENT
type-change      |$STAT_FILE|1|stat: cannot statx '$RAW_MNT/file': Input/output error|
nodeid0          |$STAT_FILE|1|stat: cannot statx '$RAW_MNT/file': No such file or directory|
root-not-dir     |$STAT_ROOT|1|stat: cannot statx '$RAW_MNT': Input/output error|
bad-dirent       |$LS_ROOT|0|./../file|
bad-dirent-huge  |$LS_ROOT|2|ls: reading directory '$RAW_MNT': Input/output error/./../file|
bad-dirent-slash |$LS_ROOT|2|ls: reading directory '$RAW_MNT': Input/output error/./../file|
huge-error       |$STAT_FILE|0|regular file,18,644|error-minus-5000: rejected EINVAL/error-positive: rejected EINVAL
error-payload    |$STAT_FILE|1|stat: cannot statx '$RAW_MNT/file': Input/output error|error-with-payload: rejected EINVAL
bad-size         |$STAT_FILE|1|stat: cannot statx '$RAW_MNT/file': Input/output error|
"

# ---- small helpers ----

# raw_wait_gone PID SECS: true once PID has exited, false after SECS.
# (stderr off: bash reaps the job in here and would announce "Killed"
# for servers the tests kill on purpose)
raw_wait_gone() {
	local pid=$1 ticks=$(($2 * 10))

	{
		while kill -0 "$pid"; do
			[ "$ticks" -gt 0 ] || return 1
			ticks=$((ticks - 1))
			t_nap 0.1
		done
	} 2>/dev/null
	return 0
}

# raw_wait_for SECS CMD...: true once CMD succeeds, false after SECS.
raw_wait_for() {
	local ticks=$(($1 * 10))

	shift
	until "$@"; do
		[ "$ticks" -gt 0 ] || return 1
		ticks=$((ticks - 1))
		t_nap 0.1
	done
}

raw_mounted() { t_is_mounted "$RAW_MNT"; }

raw_log_has() {		# PATTERN: grep the current server log
	grep -q -- "$1" "$RAW_DIR/srv.log" 2>/dev/null
}

# Lines of a file joined with '/', so a result fits one comparable word.
raw_join() {
	[ -s "$1" ] || return 0
	paste -sd/ "$1"
}

raw_problem() {		# note a lifecycle problem of the current run
	RES_PROBLEMS+=("$RAW_KIND: $*")
}

# raw_start KIND MODE: mount rawsrv MODE on $RAW_MNT via KIND's device.
# Sets RAW_SRV_PID; false (with a problem noted) when nothing got mounted.
raw_start() {
	local kind=$1 mode=$2

	RAW_KIND=$kind
	RAW_DIR=$(mktemp -d /tmp/rawproto.XXXXXX)
	mkdir -p "$RAW_MNT"
	if raw_mounted; then
		raw_problem "$RAW_MNT was still mounted before the run"
		umount -l "$RAW_MNT" 2>/dev/null
	fi
	"$RAW_MOUNT" -t "$kind" "$RAW_MNT" "$RAW_SRV" "$mode" 2>"$RAW_DIR/srv.log" &
	RAW_SRV_PID=$!
	if ! raw_wait_for 10 raw_mounted; then
		raw_problem "mount failed: $(tr '\n' ' ' < "$RAW_DIR/srv.log")"
		kill -9 "$RAW_SRV_PID" 2>/dev/null
		wait "$RAW_SRV_PID" 2>/dev/null
		rm -rf "$RAW_DIR"
		return 1
	fi
	return 0
}

# raw_op CMD...: run CMD on the mount, bounded.  Sets RES_RC and RES_OUT.
# A command still running after RAW_OP_TIMEOUT is a hang: the server is
# then killed, which must end the request on any correct kernel.
raw_op() {
	local pid

	"$@" >"$RAW_DIR/op.out" 2>&1 &
	pid=$!
	if ! raw_wait_gone "$pid" "$RAW_OP_TIMEOUT"; then
		raw_problem "'$*' hung for ${RAW_OP_TIMEOUT}s; killing the server"
		kill -9 "$RAW_SRV_PID" 2>/dev/null
		if ! raw_wait_gone "$pid" 10; then
			raw_problem "'$*' still stuck after the server died"
			RES_RC=stuck
			RES_OUT=''
			return
		fi
	fi
	wait "$pid" 2>/dev/null
	RES_RC=$?
	RES_OUT=$(raw_join "$RAW_DIR/op.out")
}

# raw_umount [-f]: unmount, bounded; a plain umount must work.
raw_umount() {
	local pid

	raw_mounted || return 0
	umount "$@" "$RAW_MNT" >"$RAW_DIR/umount.out" 2>&1 &
	pid=$!
	if ! raw_wait_gone "$pid" 20; then
		raw_problem "umount $* hung"
		return 1
	fi
	wait "$pid" 2>/dev/null && return 0
	[ "$1" = -f ] && return 1	# EBUSY is fine for umount -f
	raw_problem "umount failed: $(raw_join "$RAW_DIR/umount.out")"
	umount -l "$RAW_MNT" 2>/dev/null
	return 1
}

# raw_finish WANT_STATUS: unmount, check the server exits with WANT_STATUS,
# collect its bad-write verdicts into RES_BADW and clean up.
raw_finish() {
	local want=$1 kind=$RAW_KIND rc

	raw_umount
	if ! raw_wait_gone "$RAW_SRV_PID" 10; then
		raw_problem "server still running 10s after umount; killed"
		kill -9 "$RAW_SRV_PID" 2>/dev/null
	fi
	wait "$RAW_SRV_PID" 2>/dev/null
	rc=$?
	[ "$rc" = "$want" ] || raw_problem "server exited $rc, not $want"
	# a run counts each distinct verdict once: how often the kernel asks
	# for the attributes of one stat is not what these tests are about
	grep '^rawsrv: bad-write ' "$RAW_DIR/srv.log" |
		sed 's/^rawsrv: bad-write //' | sort -u > "$RAW_DIR/badw"
	RES_BADW=$(raw_join "$RAW_DIR/badw")
	RES_LOG=$(tr '\n' ' ' < "$RAW_DIR/srv.log")
	[ ${#RES_PROBLEMS[@]} -eq 0 ] || t_note "$kind server log: $RES_LOG"
	rm -rf "$RAW_DIR"
}

raw_have_stock() {
	[ "$RAW_SUBJECT" = fuse2pt ] || return 1
	[ -c /dev/fuse ] || modprobe fuse 2>/dev/null
	[ -c /dev/fuse ] && grep -qw fuse /proc/filesystems
}

# raw_compare WHAT GOT WANT WHOSE: note a mismatch naming both values.
# GOT is from $RAW_GOT_WHO (the subject unless set).
raw_compare() {
	[ "$2" = "$3" ] && return 0
	RES_MISMATCH+=("$1: ${RAW_GOT_WHO:-$RAW_SUBJECT} gave '$2', $4 gave '$3'")
	return 1
}

raw_report() {
	local all=("${RES_PROBLEMS[@]}" "${RES_MISMATCH[@]}") reason

	if [ ${#all[@]} -eq 0 ]; then
		t_pass
		return
	fi
	reason=$(printf '%s; ' "${all[@]}")
	t_fail "${reason%; }"
}

# ---- the bad-reply cases ----

# raw_run_simple KIND MODE OP: one mount, one operation, one unmount.
# Result in RES_RC, RES_OUT, RES_BADW.
raw_run_simple() {
	local kind=$1 mode=$2 op=$3

	RES_RC=nomount RES_OUT='' RES_BADW=''
	raw_start "$kind" "$mode" || return
	# shellcheck disable=SC2086 # OP is a simple word list
	raw_op $op
	raw_finish 0
}

raw_case_bad_reply() {	# one RAW_EXPECT line
	local mode op want_rc want_out want_badw
	local s_rc s_out s_badw

	IFS='|' read -r mode op want_rc want_out want_badw <<<"$1"
	mode=${mode%% *}

	t_start "$mode"
	RES_PROBLEMS=() RES_MISMATCH=()
	raw_run_simple "$RAW_SUBJECT" "$mode" "$op"
	s_rc=$RES_RC s_out=$RES_OUT s_badw=$RES_BADW

	if [ "$s_rc" = nomount ]; then
		:	# nothing to compare
	elif raw_have_stock; then
		raw_run_simple fuse "$mode" "$op"
		raw_compare "exit status of '$op'" "$s_rc" "$RES_RC" "stock fuse"
		raw_compare "output of '$op'" "$s_out" "$RES_OUT" "stock fuse"
		raw_compare "write() verdicts" "$s_badw" "$RES_BADW" "stock fuse"
		[ "$RES_RC|$RES_OUT|$RES_BADW" = "$want_rc|$want_out|$want_badw" ] ||
			t_note "stock fuse here differs from mainline 6.18:" \
			       "rc=$RES_RC out='$RES_OUT' writes='$RES_BADW'"
	else
		raw_compare "exit status of '$op'" "$s_rc" "$want_rc" "mainline"
		raw_compare "output of '$op'" "$s_out" "$want_out" "mainline"
		raw_compare "write() verdicts" "$s_badw" "$want_badw" "mainline"
	fi
	raw_report
}

# ---- good: everything works ----

raw_good_checks() {
	local want

	raw_op ls -1a "$RAW_MNT"
	raw_compare "ls" "$RES_RC:$RES_OUT" "0:./../dir/file/link" "a correct server"
	raw_op cat "$RAW_MNT/file"
	raw_compare "cat file" "$RES_RC:$RES_OUT" "0:hello from rawsrv" "a correct server"
	raw_op cat "$RAW_MNT/link"
	raw_compare "cat link" "$RES_RC:$RES_OUT" "0:hello from rawsrv" "a correct server"
	raw_op readlink "$RAW_MNT/link"
	raw_compare "readlink" "$RES_RC:$RES_OUT" "0:file" "a correct server"
	raw_op stat -c '%F|%s|%a|%h|%i' "$RAW_MNT/file"
	raw_compare "stat file" "$RES_RC:$RES_OUT" "0:regular file|18|644|1|2" "a correct server"
	raw_op stat -c '%F|%a|%h' "$RAW_MNT" "$RAW_MNT/dir"
	raw_compare "stat dirs" "$RES_RC:$RES_OUT" "0:directory|755|3/directory|755|2" "a correct server"
	raw_op ls -1a "$RAW_MNT/dir"
	raw_compare "ls dir" "$RES_RC:$RES_OUT" "0:./.." "a correct server"
	want="0:1000|500|500|100|96|255|4096"
	raw_op stat -f -c '%b|%f|%a|%c|%d|%l|%S' "$RAW_MNT"
	raw_compare "stat -f" "$RES_RC:$RES_OUT" "$want" "a correct server"
	raw_op stat "$RAW_MNT/nonexistent"
	raw_compare "stat of a missing name" "$RES_RC" 1 "a correct server"
}

raw_case_good() {
	local kind

	t_start "good"
	RES_PROBLEMS=() RES_MISMATCH=()
	for kind in "$RAW_SUBJECT" $(raw_have_stock && echo fuse); do
		raw_start "$kind" good || continue
		RAW_GOT_WHO=$kind raw_good_checks
		raw_finish 0
		[ -z "$RES_BADW" ] || raw_problem "unexpected bad writes: $RES_BADW"
		[[ $RES_LOG != *failed* ]] || raw_problem "server: $RES_LOG"
	done
	raw_report
}

# ---- no-reply: the kernel must not wait forever on a dead server ----

# raw_run_noreply KIND HOW: stat a file whose GETATTR is never answered,
# then end it HOW (umount-f | kill | sigterm).  Fills RES_* with
#   RES_OUT   what stat said, RES_RC its status
#   RES_AFTER what a new stat of the root says afterwards (kill only)
#   RES_WAIT  whether stat was still waiting after HOW's first step
raw_run_noreply() {
	local kind=$1 how=$2 pid srv_want=0

	RES_RC=nomount RES_OUT='' RES_AFTER='' RES_WAIT=''
	raw_start "$kind" no-reply || return
	stat -c %F "$RAW_MNT/file" >"$RAW_DIR/op.out" 2>&1 &
	pid=$!
	raw_wait_for 10 raw_log_has 'not replying' ||
		raw_problem "GETATTR of file never reached the server"
	sleep 0.5
	kill -0 "$pid" 2>/dev/null && RES_WAIT=waiting || RES_WAIT=returned

	case $how in
	umount-f)
		raw_umount -f
		;;
	kill)
		kill -9 "$RAW_SRV_PID"
		srv_want=137
		;;
	sigterm)
		kill -TERM "$pid"
		raw_wait_for 5 raw_log_has 'INTERRUPT for unique' ||
			raw_problem "no INTERRUPT reached the server"
		sleep 1
		# mainline: the request is with the server, so the caller
		# waits on, killable only by the server going away
		kill -0 "$pid" 2>/dev/null && RES_WAIT+=/waiting || RES_WAIT+=/returned
		kill -9 "$RAW_SRV_PID"
		srv_want=137
		;;
	esac

	if raw_wait_gone "$pid" 10; then
		wait "$pid" 2>/dev/null
		RES_RC=$?
		RES_OUT=$(raw_join "$RAW_DIR/op.out")
	else
		raw_problem "stat still waiting 10s after $how"
		RES_RC=hang
		kill -9 "$RAW_SRV_PID" 2>/dev/null
		raw_wait_gone "$pid" 10 || raw_problem "stat stuck even after the server died"
	fi
	if [ "$how" = kill ]; then
		stat -c %F "$RAW_MNT" >"$RAW_DIR/after.out" 2>&1
		RES_AFTER="$?:$(raw_join "$RAW_DIR/after.out")"
	fi
	raw_finish "$srv_want"
}

raw_case_noreply() {	# HOW
	local how=$1 s_rc s_out s_after s_wait

	t_start "no-reply-$how"
	RES_PROBLEMS=() RES_MISMATCH=()
	raw_run_noreply "$RAW_SUBJECT" "$how"
	s_rc=$RES_RC s_out=$RES_OUT s_after=$RES_AFTER s_wait=$RES_WAIT
	if [ "$s_rc" = nomount ]; then
		raw_report
		return
	fi
	[ "${s_wait%%/*}" = waiting ] ||
		raw_problem "stat returned while its GETATTR was unanswered: $s_out"

	if raw_have_stock; then
		raw_run_noreply fuse "$how"
		raw_compare "stat status" "$s_rc" "$RES_RC" "stock fuse"
		raw_compare "stat output" "$s_out" "$RES_OUT" "stock fuse"
		raw_compare "stat of the root afterwards" "$s_after" "$RES_AFTER" "stock fuse"
		raw_compare "waiting" "$s_wait" "$RES_WAIT" "stock fuse"
	else
		case $how in
		umount-f|kill)
			raw_compare "stat" "$s_rc:$s_out" \
				"1:stat: cannot statx '$RAW_MNT/file': Software caused connection abort" mainline
			;;
		sigterm)
			raw_compare "stat status" "$s_rc" 143 mainline
			raw_compare "waiting" "$s_wait" waiting/waiting mainline
			;;
		esac
		[ "$how" != kill ] || raw_compare "stat of the root afterwards" "$s_after" \
			"1:stat: cannot statx '$RAW_MNT': Transport endpoint is not connected" mainline
	fi
	raw_report
}

# ---- main ----

raw_selected() {
	[ -z "${RAW_MODES:-}" ] && return 0
	[[ " $RAW_MODES " == *" $1 "* ]]
}

raw_main() {
	local line mode how

	if [ ! -x "$RAW_MOUNT" ] || [ ! -x "$RAW_SRV" ]; then
		t_start setup
		t_fail "missing $RAW_MOUNT or $RAW_SRV"
		return 1
	fi
	if [ "$RAW_SUBJECT" = fuse2pt ] && ! t_module_loaded; then
		t_start setup
		t_need_module
		t_pass
		return 1
	fi
	raw_have_stock || t_note "no stock fuse here; comparing with recorded mainline behaviour"

	raw_selected good && raw_case_good
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		mode=${line%%|*}
		mode=${mode%% *}
		raw_selected "$mode" && raw_case_bad_reply "$line"
	done <<<"$RAW_EXPECT"
	for how in umount-f kill sigterm; do
		raw_selected "no-reply-$how" && raw_case_noreply "$how"
	done
	return 0
}

raw_main
