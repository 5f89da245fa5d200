#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The guest half of `fuse2pt-ci run` (tools/fuse2pt-ci): mounts a server
# author's FUSE server through fuse2pt (and through stock fuse where the
# host asked for it), runs the author's test script on each mount, and
# reports one CI-CELL line per file system type on the results port,
# followed by the test's and the server's output.  /init runs it with
# f2ptest.mode=ci; everything it needs is in /opt/fuse2pt-ci:
#
#   config        shell variables: SERVER, SERVER_ARGS, TEST, TIMEOUT,
#                 MOUNT_TIMEOUT, FSTYPES (fuse2pt, and fuse if stock fuse
#                 is to be tried), KTAG
#   bin/          the server and the test (and fuse2pt-mount)
#   lib/          their shared libraries outside glibc, first in
#                 LD_LIBRARY_PATH
#   data/         what the server's source directory starts with (may be
#                 empty)
#
# CI-CELL fields (one line, space separated, key=value; values have no
# spaces but reason=, which is last):
#   fs=fuse2pt|fuse  status=PASS|FAIL|TIMEOUT|MOUNT-FAILED  rc=N  secs=N
#   ptr=N ptw=N      fuse2pt's passthrough_read_bytes/_write_bytes after
#                    the test (- for stock fuse: it has no such counters)
#   backing=N refused=N   backing_files, passthrough_refused (fuse2pt)
#   reads=N writes=N the READ and WRITE requests in the server's output,
#                    when it prints libfuse's debug lines (- when not)
#   srv=N            the exit status of the process started as the
#                    server (after umount, or before its mount answered;
#                    a server that put itself in the background exited
#                    at once), "killed" when it outlived the umount by
#                    20 s, - when it was killed because no mount
#                    answered
#   reason=TEXT      why the cell is not PASS, or
#                    passthrough_refused_last after a refusal
CI=/opt/fuse2pt-ci
RES=${T_RESULTS:-/dev/ttyS1}
CTL=/sys/fs/fuse2pt/connections
# shellcheck source=/dev/null
. "$CI/config"
export PATH=$CI/bin:$PATH
export LD_LIBRARY_PATH=$CI/lib

emit() { printf '%s\n' "$*" >> "$RES"; }
say() { printf 'fuse2pt-ci: %s\n' "$*"; }

# send_log FS WHAT FILE: the file's last 400 lines on the results port,
# each prefixed so that no line can pass for a harness marker
send_log() {
	emit "CI-LOG-BEGIN $1 $2"
	tail -n 400 "$3" 2>/dev/null | tr -d '\r' | sed 's/^/| /' >> "$RES"
	emit "CI-LOG-END $1 $2"
}

# fstype_of MNT: the type of the last mount at MNT, or nothing
fstype_of() { awk -v m="$1" '$2 == m { t = $3 } END { print t }' /proc/mounts; }

# wait_mounted FS MNT PID: the mount is there as FS.NAME and answers, or
# the server is gone; MOUNT_TIMEOUT seconds at most
wait_mounted() {
	local fs=$1 mnt=$2 pid=$3 i=0 t
	while [ $i -lt $((MOUNT_TIMEOUT * 10)) ]; do
		t=$(fstype_of "$mnt")
		case $t in
		"$fs".*)
			timeout 30 stat "$mnt" > /dev/null 2>&1 && return 0
			return 1 ;;
		esac
		# a server that exits before its mount appeared has failed;
		# one that put itself in the background leaves the mount up
		kill -0 "$pid" 2>/dev/null || { sleep 0.2; case $(fstype_of "$mnt") in "$fs".*) return 0 ;; esac; return 1; }
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# counter NAME: a file of this mount's connection directory
counter() { cat "$CONN/$1" 2>/dev/null || echo -; }

# ops LOG OPCODE: how many requests of OPCODE libfuse's debug output in
# LOG shows ("unique: N, opcode: READ (15), ..."), - when LOG has none
ops() {
	grep -q 'opcode: ' "$1" 2>/dev/null || { echo -; return; }
	grep -c "opcode: $2 " "$1"
}

# run_test FS MNT SRC LOG: the test in a session of its own, killed with
# everything it started after TIMEOUT seconds; sets RC and SECS, and
# TIMED_OUT=1 when it was killed
run_test() {
	local t0=$SECONDS pid
	TIMED_OUT=0
	F2P_CI_FS=$1 F2P_CI_MNT=$2 F2P_CI_SRC=$3 F2P_CI_CONN=${CONN:-} F2P_CI_KERNEL=$(uname -r) \
		setsid bash -c 'cd /tmp && exec "$0" "$1"' "$CI/bin/$TEST" "$2" > "$4" 2>&1 < /dev/null &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		if [ $((SECONDS - t0)) -ge "$TIMEOUT" ]; then
			TIMED_OUT=1
			say "$1: the test ran ${TIMEOUT}s: killing it and what it started"
			echo "fuse2pt-ci: killed after ${TIMEOUT}s (--timeout)" >> "$4"
			kill -TERM -- "-$pid" 2>/dev/null
			sleep 2
			kill -KILL -- "-$pid" 2>/dev/null
			break
		fi
		sleep 0.2
	done
	RC=0
	wait "$pid" || RC=$?
	SECS=$((SECONDS - t0))
}

one_fs() {
	local fs=$1 base=/srv/ci/$1 src mnt slog tlog pid args=() a status reason=""
	local ptr=- ptw=- backing=- refused=- reads writes srv=-
	src=$base/src
	mnt=$base/mnt
	slog=/tmp/ci-$fs-server.log
	tlog=/tmp/ci-$fs-test.log
	mkdir -p "$src" "$mnt"
	mount -t tmpfs -o size=512m,mode=755 "ci-$fs" "$src"
	cp -a "$CI/data/." "$src/" 2>/dev/null
	set -f	# split at white space, no globbing
	for a in $SERVER_ARGS; do args+=("${a//\{src\}/$src}"); done
	set +f
	CONN=""
	say "$fs: fuse2pt-mount -t $fs $mnt $SERVER ${args[*]}"
	fuse2pt-mount -t "$fs" "$mnt" "$CI/bin/$SERVER" "${args[@]}" > "$slog" 2>&1 < /dev/null &
	pid=$!
	if ! wait_mounted "$fs" "$mnt" "$pid"; then
		status=MOUNT-FAILED
		RC=- SECS=0
		umount -l "$mnt" 2>/dev/null
		if kill -0 "$pid" 2>/dev/null; then
			kill -KILL "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			reason="no $fs.$SERVER mount answered within ${MOUNT_TIMEOUT}s"
		else
			wait "$pid"
			srv=$?
			reason="the server exited with status $srv before its $fs.$SERVER mount answered"
		fi
		reason="$reason; its last words: $(tail -n 2 "$slog" | tr '\n' ' ' | cut -c1-200)"
		: > "$tlog"
	else
		if [ "$fs" = fuse2pt ]; then
			local dev
			dev=$(mountpoint -d "$mnt")
			CONN=$CTL/$(( (${dev%:*} << 20) | ${dev#*:} ))
		fi
		run_test "$fs" "$mnt" "$src" "$tlog"
		if [ "$fs" = fuse2pt ]; then
			ptr=$(counter passthrough_read_bytes)
			ptw=$(counter passthrough_write_bytes)
			backing=$(counter backing_files)
			refused=$(counter passthrough_refused)
		fi
		if [ "$TIMED_OUT" = 1 ]; then
			status=TIMEOUT
			reason="the test was killed after ${TIMEOUT}s"
		elif [ "$RC" = 0 ]; then
			status=PASS
		else
			status=FAIL
			reason="the test exited with status $RC"
		fi
		if [ "$refused" != - ] && [ "$refused" -gt 0 ]; then
			reason="${reason:+$reason; }passthrough refused $refused time(s), the last: $(counter passthrough_refused_last)"
		fi
		if ! timeout 30 umount "$mnt" 2>/dev/null; then
			say "$fs: umount $mnt failed (busy?): lazy umount"
			umount -l "$mnt"
		fi
		local i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
		if kill -0 "$pid" 2>/dev/null; then
			kill -KILL "$pid" 2>/dev/null
			srv=killed
			reason="${reason:+$reason; }the server did not exit within 20s of umount"
			[ "$status" = PASS ] && status=FAIL
		else
			wait "$pid"
			srv=$?
			if [ "$srv" -ge 128 ]; then
				reason="${reason:+$reason; }the server died of signal $((srv - 128))"
				[ "$status" = PASS ] && status=FAIL
			fi
		fi
	fi
	reads=$(ops "$slog" READ)
	writes=$(ops "$slog" WRITE)
	umount "$src" 2>/dev/null
	say "$fs: $status${reason:+: $reason}"
	emit "CI-CELL fs=$fs status=$status rc=$RC secs=$SECS ptr=$ptr ptw=$ptw backing=$backing refused=$refused reads=$reads writes=$writes srv=$srv reason=$reason"
	send_log "$fs" test "$tlog"
	send_log "$fs" server "$slog"
}

say "kernel $(uname -r): server $SERVER $SERVER_ARGS, test $TEST, timeout ${TIMEOUT}s, on: $FSTYPES"
if ! insmod /opt/fuse2pt/mod/fuse2pt.ko; then
	emit "CI-ERROR insmod fuse2pt.ko failed: $(dmesg | tail -n 1)"
fi
for i in $(seq 50); do [ -c /dev/fuse2pt ] && break; sleep 0.1; done
mountpoint -q "$CTL" || mount -t fuse2ptctl none "$CTL"
emit "CI-INFO version=$(cat /sys/module/fuse2pt/version 2>/dev/null) kernel=$(uname -r)"
for fs in $FSTYPES; do
	one_fs "$fs"
done
