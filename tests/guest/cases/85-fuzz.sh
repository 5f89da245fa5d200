#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
# timeout-long: 3000
#
# A hostile server: fuzzsrv (tests/fuzz/fuzzsrv.c) damages a share of its
# replies at random (lengths, errors, attributes, directory records, node
# ids, uniques, late replies, garbage notifications) while fuzzwork
# (tests/fuzz/fuzzwork.c) and the shell tools use the mount.  Whatever
# the user sees, the kernel must stay well: no WARN/BUG/Oops (the runner
# reads dmesg), no system call that does not end, a plain umount that
# works, a server that exits cleanly, no process left in D state, and the
# slab objects fuse2pt allocated all freed again after umount.
#
# CI: a few seeds of FUZZ_SECONDS each.  Long run (FUSE2PT_LONG=1 on the
# host, kernel option f2ptest.long=1): seeds until FUZZ_LONG_REPLIES
# replies were sent.
. /tests/lib.sh

FUZZ_JOBS=${FUZZ_JOBS:-3}		# fuzzwork processes
FUZZ_HANG=12				# a system call this slow is a hang
if [ -n "${FUSE2PT_LONG:-}" ]; then
	FUZZ_SEEDS=${FUZZ_SEEDS:-$(seq 101 160)}
	FUZZ_SECONDS=${FUZZ_SECONDS:-45}
	FUZZ_MIN_REPLIES=${FUZZ_LONG_REPLIES:-100000}
	FUZZ_BUDGET=2400		# seconds for all seeds
else
	FUZZ_SEEDS=${FUZZ_SEEDS:-"1 2 3"}
	FUZZ_SECONDS=${FUZZ_SECONDS:-12}
	FUZZ_MIN_REPLIES=3000
	FUZZ_BUDGET=200
fi
MNT=$T_WORK/mnt/fuzz
TOTAL_REPLIES=0
declare -A KIND_SENT=() KIND_REJ=() ERRNO=()

# ---- slab accounting ----

# Objects in use per cache, exact enough to compare: with the page cache
# and dentries dropped, freed RCU objects given back and every cache's
# per-CPU slabs flushed, SLUB's active_objs counts allocated objects.
slab_settle() {
	sync
	echo 3 > /proc/sys/vm/drop_caches
	sleep 1
	for f in /sys/kernel/slab/*/shrink; do echo 1 > "$f" 2>/dev/null; done
}

# "NAME ACTIVE" for fuse2pt's caches and the kmalloc ones.  A cache of
# ours that SLUB merged into another does not show in slabinfo; its
# sysfs entry counts the objects of the merged cache, as "merged:NAME".
# Allocations too large for a kmalloc cache come from the page allocator
# and show in no cache, only in /proc/meminfo's SUnreclaim (kB), which
# is read as "meminfo:SUnreclaim KB".
slab_read() {
	local c
	awk '$1 ~ /^(fuse2pt|kmalloc-)/ && $1 !~ /dma/ { print $1, $2 }' /proc/slabinfo
	awk '$1 == "SUnreclaim:" { print "meminfo:SUnreclaim", $2 }' /proc/meminfo
	for c in /sys/kernel/slab/fuse2pt_*; do
		[ -L "$c" ] && echo "merged:${c##*/} $(cut -d' ' -f1 "$c/objects")"
	done
}

# slab_compare BEFORE AFTER: growth past the tolerance, one line a cache
# (own caches: none allowed; kmalloc caches together, and a merged own
# cache, which others share, may grow by FUZZ_SLAB_SLACK objects; all
# unreclaimable slab by FUZZ_SUNRECLAIM_SLACK kB).
slab_compare() {
	awk -v slack="${FUZZ_SLAB_SLACK:-400}" -v kslack="${FUZZ_SUNRECLAIM_SLACK:-16384}" '
		NR == FNR { before[$1] = $2; next }
		{ d = $2 - before[$1]
		  if ($1 == "meminfo:SUnreclaim" && d > kslack) print "unreclaimable slab +" d " kB (" before[$1] " -> " $2 " kB, over " kslack ")"
		  if ($1 ~ /^fuse2pt/ && d > 0) print "own cache " $1 " +" d " (" before[$1] " -> " $2 ")"
		  if ($1 ~ /^merged:/ && d > slack) print "merged cache " $1 " +" d " (" before[$1] " -> " $2 ")"
		  if ($1 ~ /^kmalloc-/) { sum += d; if (d > 50) grow = grow " " $1 " +" d } }
		END { if (sum > slack) print "kmalloc caches +" sum " objects in all (over " slack "):" grow }
	' "$1" "$2"
}

slab_report() {	# BEFORE AFTER
	t_note "slab: $(awk 'NR == FNR { b[$1] = $2; next } $1 ~ /^fuse2pt/ { printf "%s %s->%s ", $1, b[$1], $2 }
		$1 ~ /^merged:/ { printf "%s %s->%s ", $1, b[$1], $2 }
		$1 == "meminfo:SUnreclaim" { printf "SUnreclaim %s->%s kB ", b[$1], $2 }
		$1 ~ /^kmalloc-/ { x += b[$1]; y += $2 } END { printf "kmalloc-* %d->%d", x, y }' "$1" "$2")"
}

# ---- bounded commands ----

# bounded SECS CMD...: CMD must end within SECS; otherwise it is a hang
# (the state and kernel stack of each of its processes are shown, the
# test fails).  CMD runs in a session of its own, killed as a whole.
bounded() {
	local secs=$1 pid n p
	shift
	setsid "$@" > /dev/null 2>&1 &
	pid=$!
	for ((n = secs * 10; n > 0; n--)); do
		_t_gone "$pid" && { wait "$pid" 2>/dev/null; return 0; }
		t_nap 0.1
	done
	_t_mark_fail "hang: '$*' still running after ${secs}s: $(ps -o pid=,stat=,wchan:24=,args= -s "$pid" | tr -s ' ' | tr '\n' ';')"
	for p in $(ps -o pid= -s "$pid"); do
		echo "  | stack of $p:"
		sed 's/^/  |   /' "/proc/$p/stack" 2>/dev/null
	done
	kill -KILL -- "-$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 1
}

# The shell tools, over and over until the file $1 disappears.  Runs in
# the background: a hang is reported in the file $2 (this subshell's
# failures do not reach the test).
tools_loop() {
	local stop=$1 out=$2
	while [ -e "$stop" ]; do
		bounded 30 ls -lR "$MNT" &&
		bounded 30 find "$MNT" -type f -exec sh -c "$READ_ALL" - {} + &&
		bounded 30 stat "$MNT/hello" "$MNT/sub/up" "$MNT/w" &&
		bounded 30 readlink "$MNT/link" "$MNT/sub/up" &&
		bounded 30 sh -c "$READ_ALL" - "$MNT/big" "$MNT/hello" && continue
		echo "$_t_reason" > "$out"
		return
	done
}

# Read each file named.  Damaged attributes may turn a file into a FIFO,
# whose open would wait for a writer: O_NONBLOCK (no effect on files).
# At most 4 MiB of each: a damaged size may claim terabytes, which read
# as zeros from the page cache for as long as one cares to read them.
READ_ALL='for f; do dd if="$f" of=/dev/null iflag=nonblock bs=64k count=64 status=none; done'

d_state() {
	ps -eo stat=,pid=,comm= | awk '$1 ~ /^D/'
}

# ---- one seed ----

collect() {	# SERVER-LOG WORK-OUT
	local t k s r n e
	while read -r _ t k _ s _ r; do
		[ "$t" = kind ] || k=notify$k
		KIND_SENT[$k]=$(( ${KIND_SENT[$k]:-0} + s ))
		KIND_REJ[$k]=$(( ${KIND_REJ[$k]:-0} + r ))
	done < <(grep -E '^fuzzsrv: (kind|notify-code) ' "$1")
	n=$(sed -n 's/^fuzzsrv: replies \([0-9]*\) .*/\1/p' "$1")
	TOTAL_REPLIES=$((TOTAL_REPLIES + ${n:-0}))
	while read -r _ _ e n; do
		ERRNO[$e]=$(( ${ERRNO[$e]:-0} + n ))
	done < <(grep '^fuzzwork: errno ' "$2")
}

fuzz_seed() {	# TYPE SEED
	local type=$1 seed=$2 log wout=$T_WORK/work-$1-$2.out stop=$T_WORK/tools-run wpid tpid rc d
	# damaged replies per thousand: 50 to 400, by seed
	local rate=${FUZZ_RATE:-$((50 + seed * 131 % 351))}
	t_start "$type-seed-$seed"
	t_mount "$type" "$MNT" fuzzsrv -s "$seed" -r "$rate" -g 40 -q || return 1
	log=${_t_srv_log[$MNT]}
	touch "$stop"
	rm -f "$T_WORK/tools-hang"
	tools_loop "$stop" "$T_WORK/tools-hang" & tpid=$!
	"$T_BIN/fuzzwork" -d "$FUZZ_SECONDS" -s "$seed" -t "$FUZZ_HANG" -j "$FUZZ_JOBS" "$MNT" > "$wout" 2>&1 & wpid=$!
	wait "$wpid"
	rc=$?
	rm -f "$stop"
	wait "$tpid"
	[ ! -s "$T_WORK/tools-hang" ] || _t_mark_fail "shell tools: $(cat "$T_WORK/tools-hang")"
	if [ "$rc" != 0 ]; then
		_t_mark_fail "fuzzwork exited $rc: $(grep -E 'HANG|died|survives' "$wout" | head -n 3 | tr '\n' ' ')"
		grep '^fuzzwork:   ' "$wout"
	fi
	t_umount "$MNT"
	d=$(d_state)
	[ -z "$d" ] || _t_mark_fail "processes in D state after umount: $(echo "$d" | tr '\n' ';')"
	collect "$log" "$wout"
	t_note "seed $seed, rate $rate: $(grep '^fuzzsrv: replies' "$log" | cut -d' ' -f2-); $(grep '^fuzzwork: ops' "$wout" | cut -d' ' -f2-)"
	t_note "seed $seed: INIT $(grep -m1 '^fuzzsrv: INIT' "$log" | cut -d' ' -f3-)"
	t_pass
}

# ---- the run ----

t_start setup
t_need_bin fuzzsrv && t_need_bin fuzzwork && t_need_module || t_die "cannot run"
# A first mount loads what any mount needs once (control fs, caches), so
# the baseline is taken after it.
t_mount fuse2pt "$MNT" fuzzsrv -r 0 -q && bounded 30 ls -lR "$MNT" && t_umount "$MNT"
t_pass
slab_settle
slab_read > "$T_WORK/slab.before"

start=$SECONDS
for seed in $FUZZ_SEEDS; do
	fuzz_seed fuse2pt "$seed"
	[ $((SECONDS - start)) -lt "$FUZZ_BUDGET" ] || break
	[ -n "${FUSE2PT_LONG:-}" ] && [ "$TOTAL_REPLIES" -ge "$FUZZ_MIN_REPLIES" ] && break
done

t_start report
line=""
for k in $(printf '%s\n' "${!KIND_SENT[@]}" | sort); do
	line+=" $k=${KIND_SENT[$k]}/${KIND_REJ[$k]}"
done
t_note "replies sent: $TOTAL_REPLIES in $((SECONDS - start))s"
t_note "damage kinds (sent/refused by the kernel):$line"
line=""
for e in $(printf '%s\n' "${!ERRNO[@]}" | sort); do line+=" $e=${ERRNO[$e]}"; done
t_note "what the workload saw:$line"
[ "$TOTAL_REPLIES" -ge "$FUZZ_MIN_REPLIES" ] ||
	_t_mark_fail "only $TOTAL_REPLIES replies (want >= $FUZZ_MIN_REPLIES)"
t_pass

t_start slab
for try in 1 2 3 4 5; do
	slab_settle
	slab_read > "$T_WORK/slab.after"
	bad=$(slab_compare "$T_WORK/slab.before" "$T_WORK/slab.after")
	[ -z "$bad" ] && break
	sleep 2
done
slab_report "$T_WORK/slab.before" "$T_WORK/slab.after"
[ -z "$bad" ] || _t_mark_fail "slab objects not freed after umount: $(echo "$bad" | tr '\n' ';')"
t_pass
