# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers for the lifecycle cases (tests/guest/cases/8*.sh), on top of
# lib.sh.  Each lifecycle test runs once per filesystem type (fuse2pt,
# and stock fuse where present) and writes a transcript of what the user
# saw; fuse2pt's transcript must equal stock fuse's.
#
#   life_types                  the types to run: fuse2pt, plus fuse if present
#   life_ctl_mount / life_ctl_umount   fuse2pt's control filesystem
#   life_conn_dir TYPE MNT      the connection's control directory
#   life_srv_log MNT            the server's output file
#   life_wait_log MNT N PATTERN wait until PATTERN occurs N times in the log
#   life_gone PID SECS          true once PID has exited
#   life_compare NAME           fuse2pt's transcript vs stock fuse's
#   life_say TYPE TEXT          append a line to TYPE's transcript

LIFE_CTL=/sys/fs/fuse2pt/connections
LIFE_OP_TIMEOUT=${LIFE_OP_TIMEOUT:-15}

life_types() {
	echo fuse2pt
	[ -c /dev/fuse ] && echo fuse
}

life_ctl_mount() {
	mountpoint -q "$LIFE_CTL" && return 0
	mount -t fuse2ptctl none "$LIFE_CTL"
}

life_ctl_umount() {
	mountpoint -q "$LIFE_CTL" || return 0
	umount "$LIFE_CTL"
}

life_conn_dir() {	# TYPE MNT
	local dev
	dev=$(mountpoint -d "$2") || return 1
	case $1 in
	fuse2pt) echo "$LIFE_CTL/${dev#*:}" ;;
	*) echo "/sys/fs/fuse/connections/${dev#*:}" ;;
	esac
}

life_srv_log() { echo "${_t_srv_log[$1]}"; }

_life_count() {	# LOG N PATTERN
	[ "$(grep -c -- "$3" "$1" 2>/dev/null)" -ge "$2" ]
}

life_wait_log() {	# MNT N PATTERN
	t_wait_for "$LIFE_OP_TIMEOUT" _life_count "$(life_srv_log "$1")" "$2" "$3" ||
		{ _t_mark_fail "server log never showed '$3' x$2: $(tail -n 5 "$(life_srv_log "$1")" | tr '\n' ' ')"; return 1; }
}

life_gone() {	# PID SECS
	t_wait_for "$2" _t_gone "$1"
}

# The server exited (killed, or after an abort): forget it, reap it.
life_forget_srv() {	# MNT
	local pid=${_t_srv_pid[$1]:-}
	[ -n "$pid" ] || return 0
	life_gone "$pid" 10 || kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	unset "_t_srv_pid[$1]"
}

life_say() {	# TYPE TEXT...
	local type=$1
	shift
	printf '%s\n' "$*" | sed "s|$T_WORK/mnt/[^/ ]*|MNT|g" >> "$T_WORK/transcript-$type"
}

life_reset() { rm -f "$T_WORK"/transcript-*; }

life_compare() {	# NAME
	local a=$T_WORK/transcript-fuse2pt b=$T_WORK/transcript-fuse
	t_note "fuse2pt saw: $(tr '\n' '|' < "$a" 2>/dev/null)"
	if [ ! -c /dev/fuse ]; then
		t_note "no stock fuse here: nothing to compare with"
		return 0
	fi
	t_note "stock fuse saw: $(tr '\n' '|' < "$b" 2>/dev/null)"
	# A waiter caught by a dying server may see ENOTCONN, EIO or (with
	# FUSE_ABORT_ERROR) ECONNABORTED: the issue allows an error from the
	# dead connection, and stock fuse itself varies from run to run with
	# timing (whether a request was queued before the abort, 7.3's EIO
	# for a cached read).  Anything else must match.  Tools print the
	# strerror() text, the C helpers the names.
	local e='s/\b(EIO|ENOTCONN|ECONNABORTED)\b|Input\/output error|Transport endpoint is not connected|Software caused connection abort/DEAD-CONN-ERROR/g'
	sed -E "$e" "$a" > "$a.cmp"
	sed -E "$e" "$b" > "$b.cmp"
	t_expect_files_eq "$1: fuse2pt as stock fuse (EIO = ENOTCONN = ECONNABORTED)" "$a.cmp" "$b.cmp"
}
