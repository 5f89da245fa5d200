#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark guest (f2ptest.mode=bench, started by tests/guest/init;
# the host side is tests/bench/run.sh).  Measures, prints and sends to the
# results port lines
#   BENCH-INFO KEY VALUE...
#   BENCH fio CONFIG WORKLOAD MB/s
#   BENCH meta CONFIG OP OPS/s
# Nothing here passes or fails: a configuration that cannot be set up
# is reported as "BENCH-SKIP CONFIG reason".
#
# Configurations (fio):
#   backing    the backing filesystem directly (ext4 on a loop device
#              over a tmpfs file when the kernel has ext4/loop, else tmpfs)
#   f2p-pt     ptsrv on fuse2pt, passthrough
#   f2p-nopt   ptsrv --no-passthrough --mode cached on fuse2pt
#   fuse-nopt  the same on stock fuse
#   fuse-pt    ptsrv on stock fuse, passthrough (kernels that offer it)
# Metadata: tests/bench/metabench on the backing directory, and through
# libfuse's passthrough_ll on fuse2pt and on stock fuse.
T_CASE=bench
. /tests/lib.sh

for arg in $(cat /proc/cmdline); do	# run.sh passes BENCH_* this way
	case $arg in
	bench.runtime=*) BENCH_RUNTIME=${arg#*=} ;;
	bench.size=*)    BENCH_SIZE=${arg#*=} ;;
	bench.meta_n=*)  BENCH_META_N=${arg#*=} ;;
	bench.rounds=*)  BENCH_ROUNDS=${arg#*=} ;;
	bench.work=*)    BENCH_WORK=${arg#*=} ;;
	bench.cfgs=*)    BENCH_CFGS=${arg#*=} ;;
	bench.meta=*)    BENCH_META=${arg#*=} ;;
	bench.diag=*)    BENCH_DIAG=${arg#*=} ;;
	esac
done
RUNTIME=${BENCH_RUNTIME:-3}		# seconds per fio job
ROUNDS=${BENCH_ROUNDS:-3}		# rounds; each fio number is their median
SIZE=${BENCH_SIZE:-64m}			# the data file
META_N=${BENCH_META_N:-2000}
BACK=/bench/back

out() { printf '%s\n' "$*" >> "$T_RESULTS"; printf '  %s\n' "$*"; }

# --- backing filesystem ---
backing_setup() {
	mkdir -p "$BACK"
	if t_ext4_mount "$BACK" 1200 noatime; then
		out "BENCH-INFO backing ext4 (loop device over a tmpfs file)"
	else
		mount -t tmpfs -o noatime,size=1200m,mode=755 back "$BACK"
		out "BENCH-INFO backing tmpfs (no ext4/loop in this guest)"
	fi
	chmod 755 "$BACK"
}

# --- fio ---
# fio_one DIR WORKLOAD -> MB/s (fio's terse format: field 7 read KiB/s,
# 48 write KiB/s, summed over the group)
fio_one() {
	local dir=$1 w=$2 args=() f=$1/data.bin
	case $w in
	seqread)   args=(--rw=read --bs=1M) ;;
	seqwrite)  args=(--rw=write --bs=1M) ;;
	randread)  args=(--rw=randread --bs=4k) ;;
	randwrite) args=(--rw=randwrite --bs=4k) ;;
	mmapread)  args=(--rw=read --bs=1M --ioengine=mmap) ;;
	par4read)  args=(--rw=randread --bs=4k --numjobs=4) ;;
	esac
	# Warm: the data in the backing filesystem's page cache, so that the
	# numbers show the cost of each path rather than of the loop device.
	# fio's default invalidate=1 (fadvise DONTNEED) would drop the backing
	# cache only when run on it directly.  A FUSE mount without
	# passthrough still starts with its own cache empty: ptsrv's "cached"
	# opens have no KEEP_CACHE.
	sync
	cat "$BACK/data.bin" > /dev/null
	timeout $((RUNTIME * 10 + 60)) fio --name="$w" --filename="$f" --size="$SIZE" \
		--time_based --runtime="$RUNTIME" --group_reporting --minimal \
		--overwrite=1 --invalidate=0 "${args[@]}" 2>/dev/null |
		awk -F';' 'NR == 1 { printf "%.1f\n", ($7 + $48) / 1024 }'
}

# BENCH_DIAG=1: what the server was asked during a run (ptsrv's counters:
# READs, bytes, WRITEs, bytes), on the console
srv_counts() {	# CONFIG -> "read read_bytes write write_bytes", or nothing
	local cfg=$1 st=/bench/stats-$1 pid n=50
	pid=${_t_srv_pid[/bench/mnt/$1]:-}
	[ -n "$pid" ] || return 0
	rm -f "$st"
	kill -USR1 "$pid" 2>/dev/null || return 0
	while [ ! -e "$st" ] && [ $n -gt 0 ]; do sleep 0.05; n=$((n - 1)); done
	awk '{ v[$1] = $2 } END { print v["read"], v["read_bytes"], v["write"], v["write_bytes"] }' "$st" 2>/dev/null
}

WORKLOADS=(seqread seqwrite randread randwrite mmapread par4read)
# a focused run: some workloads (BENCH_WORK), configurations (BENCH_CFGS),
# comma-separated, and no metadata phase (BENCH_META=0)
[ -z "${BENCH_WORK:-}" ] || IFS=, read -r -a WORKLOADS <<< "$BENCH_WORK"
want_cfg() { [ -z "${BENCH_CFGS:-}" ] || [[ ,$BENCH_CFGS, == *,$1,* ]]; }
declare -A FIO_DIR=() FIO_BEST=()
FIO_CFGS=()

# ptsrv stats: was passthrough negotiated?
pt_offered() {	# STATS-FILE
	local n=50
	rm -f "$1"
	kill -USR1 "$T_SRV_PID" 2>/dev/null || return 1
	while [ ! -e "$1" ] && [ $n -gt 0 ]; do sleep 0.05; n=$((n - 1)); done
	[ "$(awk '$1 == "passthrough_wanted" { print $2 }' "$1" 2>/dev/null)" = 1 ]
}

fio_mount() {	# CONFIG TYPE PT(1|0): mount ptsrv, add CONFIG to FIO_CFGS
	local cfg=$1 type=$2 pt=$3 mnt=/bench/mnt/$1 stats=/bench/stats-$1 extra=()
	want_cfg "$cfg" || return 0
	[ "$pt" = 1 ] || extra=(--no-passthrough --mode cached)
	if ! t_mount "$type" "$mnt" ptsrv --stats "$stats" "${extra[@]}" "$BACK"; then
		out "BENCH-SKIP $cfg mount failed"
		return
	fi
	if [ "$pt" = 1 ] && ! pt_offered "$stats"; then
		out "BENCH-SKIP $cfg the kernel does not offer passthrough"
		t_umount "$mnt"
		return
	fi
	FIO_CFGS+=("$cfg")
	FIO_DIR[$cfg]=$mnt
}

# All configurations are mounted at once and measured interleaved
# (round, workload, configuration), so that load from outside the guest
# spreads over all of them; every other round takes the configurations
# in reverse, so that a drift in the host's speed falls on both sides of
# a comparison.  Each round's number goes out (BENCH fioround), and the
# median of the rounds (BENCH fio); run.sh takes each ratio as the median
# of the rounds' ratios, each measured back to back.
fio_all() {
	local r w cfg v c0 r0 rb0 w0 wb0 r1 rb1 w1 wb1 order=()
	local -A vals=()
	for r in $(seq "$ROUNDS"); do
		order=("${FIO_CFGS[@]}")
		if [ $((r % 2)) = 0 ]; then
			order=()
			for cfg in "${FIO_CFGS[@]}"; do order=("$cfg" "${order[@]}"); done
		fi
		for w in "${WORKLOADS[@]}"; do
			for cfg in "${order[@]}"; do
				[ "${BENCH_DIAG:-0}" != 1 ] || c0=$(srv_counts "$cfg")
				v=$(fio_one "${FIO_DIR[$cfg]}" "$w")
				v=${v:-0}
				if [ "${BENCH_DIAG:-0}" = 1 ] && [ -n "$c0" ]; then
					read -r r0 rb0 w0 wb0 <<< "$c0"
					read -r r1 rb1 w1 wb1 <<< "$(srv_counts "$cfg")"
					printf '  diag %-8s %-10s READ %s (%s MiB) WRITE %s (%s MiB)\n' "$cfg" "$w" \
						$((r1 - r0)) $(((rb1 - rb0) >> 20)) $((w1 - w0)) $(((wb1 - wb0) >> 20))
				fi
				printf '  round %s %-8s %-10s %s MB/s\n' "$r" "$cfg" "$w" "$v"
				out "BENCH fioround $r $cfg $w $v" > /dev/null
				vals[$cfg,$w]+=" $v"
			done
		done
	done
	for cfg in "${FIO_CFGS[@]}"; do
		for w in "${WORKLOADS[@]}"; do
			out "BENCH fio $cfg $w $(printf '%s\n' ${vals[$cfg,$w]} | sort -g |
				awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')"
		done
	done
}

# --- metadata ---
meta_run() {	# CONFIG DIR
	local cfg=$1 dir=$2/meta op v
	rm -rf "$dir"
	mkdir -p "$dir"
	sync
	while read -r op v; do
		out "BENCH meta $cfg $op $v"
	done < <(timeout 600 metabench "$dir" "$META_N")
	rm -rf "$dir"
}

meta_fuse() {	# CONFIG TYPE
	local cfg=$1 type=$2 mnt=/bench/mnt/$1
	if ! t_mount "$type" "$mnt" passthrough_ll -f -o source="$BACK"; then
		out "BENCH-SKIP $cfg mount failed"
		return
	fi
	meta_run "$cfg" "$mnt"
	t_umount "$mnt"
}

echo
echo "==================== fuse2pt benchmark on $(uname -r) ===================="
out "BENCH-INFO kernel $(uname -r)"
out "BENCH-INFO cpus $(nproc) mem_kb $(awk '/MemTotal/ { print $2 }' /proc/meminfo)"
out "BENCH-INFO fio size=$SIZE runtime=${RUNTIME}s rounds=$ROUNDS meta_n=$META_N"
# passthrough_ll keeps an fd open per inode it knows
ulimit -n 1048576 2>/dev/null || ulimit -n 65536
insmod "$T_MOD" || echo "!! insmod $T_MOD failed"
t_wait_for 5 test -c /dev/fuse2pt
t_start run
backing_setup

# data file, written once on the backing filesystem and shared by all
# configurations (the FUSE servers serve $BACK)
fio --name=layout --filename="$BACK/data.bin" --size="$SIZE" --rw=write --bs=1M \
	--minimal > /dev/null 2>&1
out "BENCH-INFO data $(stat -c %s "$BACK/data.bin") bytes"

FIO_CFGS=(backing)
FIO_DIR[backing]=$BACK
fio_mount f2p-pt fuse2pt 1
fio_mount f2p-nopt fuse2pt 0
if [ -c /dev/fuse ]; then
	fio_mount fuse-nopt fuse 0
	fio_mount fuse-pt fuse 1
else
	out "BENCH-SKIP fuse-nopt no /dev/fuse"
	out "BENCH-SKIP fuse-pt no /dev/fuse"
fi
out "BENCH-PHASE fio ${FIO_CFGS[*]}"
fio_all
for cfg in "${FIO_CFGS[@]}"; do
	[ "$cfg" = backing ] || t_umount "${FIO_DIR[$cfg]}"
done

if [ "${BENCH_META:-1}" != 0 ]; then
	out "BENCH-PHASE meta"
	meta_run backing "$BACK"
	meta_fuse f2p fuse2pt
	if [ -c /dev/fuse ]; then meta_fuse fuse fuse; fi
fi
t_pass
umount "$BACK" 2>/dev/null
out "BENCH-END"
echo "==================== end of benchmark ===================="
