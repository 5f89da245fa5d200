#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs every /tests/cases/*.sh in order, each in its own session with a
# timeout, and after each case checks (as the test CASE:cleanup) that no
# FUSE mount and no server process is left and that fuse2pt can be
# removed, and (as CASE:dmesg) that the kernel logged nothing bad.
# fuse2pt is loaded again before the next case.
#
# A case may set its timeout with a line "# timeout: SECONDS", and the
# one of its long run (FUSE2PT_LONG set) with "# timeout-long: SECONDS".

T_RESULTS=${T_RESULTS:-/dev/ttyS1}
MOD=/opt/fuse2pt/mod/fuse2pt.ko
CASE_TIMEOUT=${CASE_TIMEOUT:-120}
# the host's tests/run.sh has the same list: slub_debug=FZP (every guest
# boots with it) reports a use-after-free as "BUG <cache>", "Poison
# overwritten", "Redzone" or "list_del corruption"
BAD_RE='WARNING|BUG|Oops|KASAN|KFENCE|UBSAN|hung task|blocked for more than|refcount_t|general protection|Call Trace|Poison overwritten|Redzone|list_(add|del) corruption|possible circular locking|inconsistent lock state'
FUSE_TYPES_RE='^(fuse|fuseblk|fuse2pt|fuse2ptblk)(\..*)?$'

emit() { printf '%s\n' "$*" >> "$T_RESULTS"; }
result() {	# STATUS ID [REASON]
	emit "RESULT $*"
	printf '  %s\n' "$*"
}

loaded() { grep -q '^fuse2pt ' /proc/modules; }

# The runner waits through the whole suite beside the cases, so its
# polling must not exec (each exec costs ~45 ms of emulated CPU): naps
# are reads with a timeout on a pipe that never has data and never ends
# (this shell holds both ends), exit checks read /proc in bash.
exec {NAP_FD}<> <(:)
nap() { read -r -t "$1" -u "$NAP_FD" _ 2> /dev/null; return 0; }

exited() {	# PID: gone or a zombie
	# The whole file in one read: a loop left early would leave the rest
	# in bash's input buffer for the shell's next read of another file.
	local s=""
	read -r -d '' s 2> /dev/null < "/proc/$1/status" || [ -n "$s" ] || return 0
	[[ $s == *$'\nState:\tZ'* ]]
}

load_module() {
	loaded && return 0
	[ -e "$MOD" ] || return 1
	insmod "$MOD" 2>&1 || return 1
	# devtmpfs creates the node asynchronously
	for _ in $(seq 50); do [ -c /dev/fuse2pt ] && break; sleep 0.1; done
}

# Non-kernel processes other than init, this runner and the caller's
# own pipeline.  Prints "PID COMM CMDLINE".
stray_procs() {
	local d pid ppid comm cmd k v self=$BASHPID
	for d in /proc/[0-9]*; do
		pid=${d#/proc/}
		[ "$pid" = 1 ] || [ "$pid" = $$ ] || [ "$pid" = "$self" ] && continue
		ppid=""
		while read -r k v; do
			[ "$k" = PPid: ] && { ppid=$v; break; }
		done < "$d/status" 2>/dev/null
		[ -n "$ppid" ] || continue
		[ "$pid" = 2 ] || [ "$ppid" = 2 ] || [ "$ppid" = 0 ] && continue	# kernel threads
		[ "$ppid" = "$self" ] && continue					# our own helpers
		read -r comm < "$d/comm" 2>/dev/null || continue
		cmd=$(tr '\0' ' ' < "$d/cmdline" 2>/dev/null)
		echo "$pid $comm ${cmd:-<zombie>}"
	done
}

fuse_mounts() {	# "MNT TYPE" of FUSE mounts and mounts below the test dirs
	awk -v re="$FUSE_TYPES_RE" '$3 ~ re || $2 ~ "^/tmp/(t|src)(/|$)" { print $2, $3 }' /proc/mounts
}

abort_all_connections() {
	local f ctl
	for f in /sys/fs/fuse/connections/*/abort /sys/fs/fuse2pt/connections/*/abort; do
		[ -e "$f" ] && echo 1 > "$f" 2>/dev/null
	done
	# fuse2pt's control filesystem, mounted only for this (it pins the module)
	ctl=$(awk '$2 ~ /^fuse2pt.*ctl$/ { print $2; exit }' /proc/filesystems)
	if [ -n "$ctl" ] && [ -d /sys/fs/fuse2pt/connections ]; then
		if mount -t "$ctl" none /sys/fs/fuse2pt/connections 2>/dev/null; then
			for f in /sys/fs/fuse2pt/connections/*/abort; do
				[ -e "$f" ] && echo 1 > "$f" 2>/dev/null
			done
			umount /sys/fs/fuse2pt/connections
		fi
	fi
}

# Kill a case's whole session; returns 1 if something stays unkillable.
kill_session() {
	local sid=$1 p n
	kill -TERM -- "-$sid" 2>/dev/null
	sleep 2
	kill -KILL -- "-$sid" 2>/dev/null
	abort_all_connections
	for n in $(seq 50); do
		# zombies do not count: the runner reaps the case after this
		p=$(ps -o pid=,stat= -s "$sid" 2>/dev/null | awk '$2 !~ /^Z/')
		[ -z "$p" ] && return 0
		sleep 0.2
	done
	return 1
}

# Run one case; returns 0 if done, 124 on timeout.
run_case() {
	local file=$1 name=$2 tmo pid waited=0 limit rc
	tmo=$(sed -n 's/^# *timeout: *\([0-9]\+\).*/\1/p' "$file" | head -n1)
	if [ -n "${FUSE2PT_LONG:-}" ]; then
		tmo=$(sed -n 's/^# *timeout-long: *\([0-9]\+\).*/\1/p' "$file" | head -n1 | grep . || echo "$tmo")
	fi
	tmo=${tmo:-$CASE_TIMEOUT}
	limit=$((tmo * 10))
	T_CASE=$name setsid bash "$file" &
	pid=$!
	while ! exited "$pid"; do
		if [ $waited -ge $limit ]; then
			echo "!! case $name timed out after ${tmo}s; processes:"
			ps -o pid,stat,wchan:32,args -s "$pid"
			for p in $(ps -o pid= -s "$pid"); do
				echo "-- stack of $p:"; cat "/proc/$p/stack" 2>/dev/null
			done
			result FAIL "$name:timeout" "case did not finish within ${tmo}s"
			if ! kill_session "$pid"; then
				result FAIL "$name:unkillable" "processes of the case survive SIGKILL and connection abort"
			fi
			wait "$pid" 2>/dev/null
			return 124
		fi
		nap 0.1
		waited=$((waited + 1))
		# a sign of life for the host's stall watch (vm_boot)
		((waited % 600)) || echo "runner: $name running for $((waited / 10))s"
	done
	wait "$pid"
	rc=$?
	CASE_RC=$rc
	return 0
}

after_case() {	# checks after each case
	local name=$1 problems=() m p out n
	m=$(fuse_mounts)
	if [ -n "$m" ]; then
		problems+=("left mounted: $(echo "$m" | tr '\n' ';')")
		abort_all_connections
		echo "$m" | while read -r mnt _; do timeout 20 umount -l "$mnt" 2>/dev/null; done
	fi
	p=$(stray_procs)
	if [ -n "$p" ]; then
		problems+=("processes left: $(echo "$p" | cut -c1-80 | tr '\n' ';')")
		for pid in $(echo "$p" | awk '{ print $1 }'); do kill -KILL "$pid" 2>/dev/null; done
		sleep 0.5
	fi
	if loaded; then
		out=""
		for _ in $(seq 30); do
			out=$(rmmod fuse2pt 2>&1) && break
			sleep 0.2
		done
		if loaded; then
			problems+=("rmmod fuse2pt failed: $out (refcnt $(cat /sys/module/fuse2pt/refcnt 2>/dev/null))")
		fi
	fi
	if [ ${#problems[@]} = 0 ]; then
		result PASS "$name:cleanup"
	else
		result FAIL "$name:cleanup" "${problems[*]}"
	fi
}

check_dmesg() {	# NAME FIRST-NEW-LINE
	local name=$1 from=$2 new bad
	new=$(dmesg | tail -n "+$from")
	if [ -n "$new" ]; then
		echo "-- kernel messages during $name:"
		echo "$new" | sed 's/^/   /'
	fi
	bad=$(echo "$new" | grep -E "$BAD_RE" | head -n 3)
	if [ -n "$bad" ]; then
		result FAIL "$name:dmesg" "kernel reported: $(echo "$bad" | tr '\n' ';')"
	else
		result PASS "$name:dmesg"
	fi
}

PART=${FUSE2PT_PART:-10-99}
PART_LO=${PART%-*} PART_HI=${PART#*-}
echo "== runner: $(ls /tests/cases/*.sh 2>/dev/null | wc -l) case files, filter '${FUSE2PT_ONLY:-*}', subtests '${FUSE2PT_SUB:-*}', numbers $PART_LO-$PART_HI"
if [ ! -e "$MOD" ]; then
	echo
	echo "!!!!!!!! fuse2pt.ko was not shipped for this kernel (build failed?) !!!!!!!!"
	echo
	result FAIL "runner:module-present" "fuse2pt.ko missing for kernel $(uname -r)"
fi

for file in /tests/cases/*.sh; do
	[ -e "$file" ] || continue
	name=$(basename "$file" .sh)
	# shellcheck disable=SC2053
	[[ $name == ${FUSE2PT_ONLY:-*} ]] || continue
	num=${name%%-*}
	[[ $num =~ ^[0-9]+$ ]] && [ $((10#$num)) -ge "$PART_LO" ] &&
		[ $((10#$num)) -le "$PART_HI" ] || continue
	if ! loaded && [ -e "$MOD" ]; then
		out=$(load_module) || echo "!! insmod fuse2pt failed: $out"
	fi
	dmesg_from=$(( $(dmesg | wc -l) + 1 ))
	emit "CASE-BEGIN $name"
	echo
	echo "######## $name  ($(date +%T))"
	start=$(date +%s.%N)
	CASE_RC=0
	run_case "$file" "$name"
	if [ "$CASE_RC" != 0 ] && [ "$CASE_RC" != 1 ]; then
		result FAIL "$name:script" "case script exited with status $CASE_RC"
	fi
	if ! grep -q "^RESULT [A-Z]* $name:" /tmp/t/results 2>/dev/null; then
		result FAIL "$name:no-results" "the case reported no test result"
	fi
	t1=$(date +%s.%N)
	after_case "$name"
	check_dmesg "$name" "$dmesg_from"
	echo "-- $name: case $(awk -v a="$start" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')s, checks $(awk -v a="$t1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')s"
	rm -rf /tmp/t
	emit "CASE-END $name $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')s"
done
echo "== runner: done"
