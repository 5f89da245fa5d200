#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# fuse2pt's test run: prepare the host, build the guest userspace, build
# fuse2pt.ko for each kernel and the test programs, boot each stock Debian
# kernel under QEMU with the guest test cases, and report.
#
#   tests/run.sh [TAGS...]        TAGS: 5.10 6.1 6.12 6.12t 7.2 7.3 (the
#                                 default: all six; bullseye's newest
#                                 5.10, bookworm's 6.1, bookworm-backports'
#                                 6.12, trixie's own 6.12, sid's 7.2,
#                                 trixie-backports' 7.3; 5.10, 6.12t and
#                                 7.2 fetched by tests/lib/range.sh),
#                                 6.1-debug 6.12-debug (make check-debug):
#                                 Debian's 6.1 and 6.12 source built with
#                                 KASAN, KFENCE, lockdep and more
#                                 (tests/lib/debug-kernel.sh; the first run
#                                 builds them, an hour or more each)
#
# Environment:
#   FUSE2PT_FULL=1                the whole suite on every kernel (make
#                                 check-all); without it the whole suite
#                                 runs on 6.1 and 7.3 (and the debug
#                                 kernels), the core cases (CORE_CASES
#                                 below) on the others: make check, CI
#   FUSE2PT_ONLY=GLOB             run only guest cases whose name matches
#   FUSE2PT_SUB=GLOB              ... and of the cases that ask (34-integrity,
#                                 60-pt-io, 62-pt-backing),
#                                 only the subtests whose name matches
#   FUSE2PT_LONG=1                long runs of the cases that have them (85-fuzz:
#                                 >= 100,000 replies); raise FUSE2PT_KERNEL_TIMEOUT
#   FUSE2PT_ACCEL=kvm|tcg|icount  skip the accelerator probe (icount: tests/lib/vm.sh)
#   FUSE2PT_KERNEL_TIMEOUT=SECS   host-side limit per kernel (2700)
#   FUSE2PT_STALL_SECS=SECS       a guest console silent this long is a stall:
#                                 stacks by SysRq, then the guest is stopped (300)
#   FUSE2PT_DEBUG_SLOW=N          the debug kernels' slowdown (4): their kernel
#                                 and stall limits, and the guest's case and
#                                 hung-task timeouts, are N times the above
#   FUSE2PT_DEBUG_VM_MEM=SIZE     the debug kernels' guest RAM (3G; KASAN's
#                                 shadow and quarantine take some)
#   FUSE2PT_PARALLEL=N            guests at once (2; 1: one after another)
#   FUSE2PT_CI_TOOL=1|0           run tests/host/ci-tool.sh (fuse2pt-ci's VM
#                                 mode) even with FUSE2PT_ONLY, or never
#   FUSE2PT_CACHE, FUSE2PT_WORK   cache and build directories
#
# The last line is "N passed, N failed"; the exit status is non-zero if
# anything failed.  Logs: $WORK/TAG/{build.log,console.log,results.log}.
set -uo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$TOP/tests/lib/vm.sh"
. "$TOP/tests/lib/build.sh"

need_root
TAGS=("$@")
[ ${#TAGS[@]} -gt 0 ] || TAGS=(5.10 6.1 6.12 6.12t 7.2 7.3)
for t in "${TAGS[@]}"; do
	case $t in 5.10|6.1|6.12|6.12t|7.2|7.3|6.1-debug|6.12-debug) ;;
	*) die "unknown kernel tag '$t' (5.10, 6.1, 6.12, 6.12t, 7.2, 7.3, 6.1-debug, 6.12-debug)" ;; esac
done
KERNEL_TIMEOUT=${FUSE2PT_KERNEL_TIMEOUT:-2700}
VM_STALL=${FUSE2PT_STALL_SECS:-300}	# see vm_boot
# slub_debug=FZP (vm.sh) turns a use-after-free into "BUG <cache>",
# "Poison overwritten", "Redzone ..." or "list_del corruption" reports.
BAD_RE='WARNING|BUG|Oops|KASAN|KFENCE|UBSAN|hung task|blocked for more than|refcount_t|general protection|Call Trace|Poison overwritten|Redzone|list_(add|del) corruption|possible circular locking|inconsistent lock state'

declare -A STAGE=()
STAGES=()
RUN_START=$(date +%s)
stage() {	# NAME CMD...: run and time a stage
	local name=$1 t0 rc=0
	shift
	t0=$(date +%s)
	"$@" || rc=$?
	STAGE[$name]=$(( $(date +%s) - t0 ))
	STAGES+=("$name")
	log "stage $name: ${STAGE[$name]}s"
	return $rc
}

stage setup bash "$TOP/tests/lib/host-setup.sh" || die "host setup failed"
stage guest-image bash "$TOP/tests/lib/guest-image.sh" || die "guest image failed"
mkdir -p "$WORK"
stage build-programs build_progs
for t in "${TAGS[@]}"; do
	case $t in
	*-debug)
		stage "kernel-$t" bash "$TOP/tests/lib/debug-kernel.sh" "$t" ||
			die "cannot build the $t kernel (tests/lib/debug-kernel.sh)" ;;
	5.10|6.12t|7.2)
		stage "kernel-$t" range_kernel "$t" ||
			die "cannot fetch the $t kernel (tests/lib/range.sh)" ;;
	esac
	stage "build-$t" build_module "$t"
	make_image "$t" || die "cannot make the initramfs for $t"
done

# Host stage (issue 7): build the .deb, install it, DKMS for each host
# kernel, purge (tests/host/deb-dkms.sh).  It also puts the dkms-built
# modules into the guest images for case 70-dkms-module, so it runs with
# the whole suite or when FUSE2PT_ONLY selects that case, and when a stock
# kernel is among the tags (DKMS builds for the host's Debian kernels only).
HOST_DEB=$WORK/host-deb
HOST_DEB_RC=skipped
rm -rf "$HOST_DEB"
# shellcheck disable=SC2053
STOCK_TAGS=()
for t in "${TAGS[@]}"; do case $t in *-debug) ;; *) STOCK_TAGS+=("$t") ;; esac; done
if [[ 70-dkms-module == ${FUSE2PT_ONLY:-*} ]] && [ ${#STOCK_TAGS[@]} -gt 0 ]; then
	HOST_DEB_RC=0
	stage host-deb bash "$TOP/tests/host/deb-dkms.sh" "$HOST_DEB" "${TAGS[@]}" || HOST_DEB_RC=$?
fi

TOTAL_PASS=0 TOTAL_FAIL=0
REPORT=()
say() { REPORT+=("$*"); }

# Test programs that did not build count once.
if grep -q '^FAIL' "$WORK/progs.status" 2>/dev/null; then
	n=$(grep -c '^FAIL' "$WORK/progs.status")
	say "== test programs: $n failed to build ($WORK/progs.log)"
	while read -r _ name reason; do say "   FAIL build:$name: $reason"; done < <(grep '^FAIL' "$WORK/progs.status")
	TOTAL_FAIL=$((TOTAL_FAIL + n))
fi

# parse_kernel TAG: count and describe one kernel's results.
parse_kernel() {
	local tag=$1 dir=$WORK/$1/vm res np nf ns extra=() bad st up0 up1 line tmo
	tmo=$((KERNEL_TIMEOUT * $(slow_of "$tag")))
	res=$(tr -d '\r' < "$dir/results.log" 2>/dev/null)
	np=$(grep -c '^RESULT PASS ' <<< "$res")
	nf=$(grep -c '^RESULT FAIL ' <<< "$res")
	ns=$(grep -c '^RESULT SKIP ' <<< "$res")

	st=$(cat "$WORK/$tag/build.status" 2>/dev/null || echo "not built")
	[ "$st" = ok ] || extra+=("build:fuse2pt.ko: $(echo "$st" | tr '\n' ' ')(log $WORK/$tag/build.log)")
	if ! grep -q '^GUEST-START' <<< "$res"; then
		extra+=("boot: the guest never started its tests (status $BOOT_RC; see $dir/console.log)")
	elif [ "$(grep -c '^ALL-DONE' <<< "$res")" -lt "${NPARTS:-1}" ]; then
		line=$(grep '^CASE-BEGIN' <<< "$res" | tail -n1)
		extra+=("guest: did not finish (status $BOOT_RC$([ "$BOOT_RC" = 124 ] && echo ", host timeout ${tmo}s"); last case started: ${line#CASE-BEGIN })")
		[ -s "$dir/stall.txt" ] &&
			extra+=("guest: stalled, console silent $((VM_STALL * $(slow_of "$tag")))s (SysRq stacks in $dir/console.log, registers in $dir/stall.txt)")
	fi
	# Cases that began and never ended (the kernel died under them).
	while read -r line; do
		grep -q "^CASE-END ${line#CASE-BEGIN } " <<< "$res" ||
			[ -z "$line" ] || extra+=("${line#CASE-BEGIN }: case never ended")
	done < <(grep '^CASE-BEGIN' <<< "$res")

	# The whole dmesg, or what the console caught of it.
	if grep -q '^DMESG-END' <<< "$res"; then
		bad=$(sed -n '/^DMESG-BEGIN/,/^DMESG-END/p' <<< "$res" | grep -E "$BAD_RE")
	else
		bad=$(tr -d '\r' < "$dir/console.log" | grep -E '^\[ *[0-9]+\.[0-9]+\]' | grep -E "$BAD_RE")
	fi
	if [ -n "$bad" ]; then
		extra+=("dmesg: $(wc -l <<< "$bad") problem line(s), first: $(head -n1 <<< "$bad" | cut -c1-150)")
		DMESG_VERDICT="PROBLEMS"
	else
		DMESG_VERDICT="clean"
	fi
	nf=$((nf + ${#extra[@]}))

	# guest clock: boot of the first part; tests summed over the parts
	up0=$(sed -n 's/^GUEST-START .*uptime=\([0-9.]*\).*/\1/p' <<< "$res" | head -n1)
	up1=$(awk '/^GUEST-START/ { sub(/.*uptime=/, ""); s = $1 }
		   /^ALL-DONE/ { sub(/.*uptime=/, ""); t += $1 - s; n++ }
		   END { if (n) printf "%.0f", t }' <<< "$res")
	say "== $tag ($(kver_of "$tag"), $(vm_accel)$([ "${PARTS[$tag]:-}" = " core" ] && echo ", core cases")): $np passed, $nf failed$([ "$ns" -gt 0 ] && echo ", $ns SKIPPED")"
	grep '^RESULT FAIL ' <<< "$res" | sed 's/^RESULT FAIL \([^ ]*\) \{0,1\}/   FAIL \1: /' | cut -c1-400 |
		while IFS= read -r line; do echo "$line"; done > "$dir/failures"
	while IFS= read -r line; do say "$line"; done < "$dir/failures"
	for line in "${extra[@]}"; do say "   FAIL $line"; done
	grep '^RESULT SKIP ' <<< "$res" | sed 's/^RESULT SKIP \([^ ]*\) \{0,1\}/   SKIP \1: /' > "$dir/skips"
	while IFS= read -r line; do say "$line"; done < "$dir/skips"
	say "   dmesg: $DMESG_VERDICT"
	say "   time: boot ${up0:-?}s, tests ${up1:-?}s (guest clock, ${NPARTS:-1} boot(s)), qemu ${STAGE[boot-$tag]}s wall; logs in $dir"
	TOTAL_PASS=$((TOTAL_PASS + np))
	TOTAL_FAIL=$((TOTAL_FAIL + nf))
}

# The guests run side by side, FUSE2PT_PARALLEL at a time (2): one guest
# keeps only about 1.2 of the host's 2 cores busy under TCG.  Side by side
# each runs its vCPUs in one host thread (VM_TCG_THREAD, vm.sh); three on
# two cores make each 2.5 times slower, two only 1.1.  To keep the two
# lanes even, the whole suite boots each kernel twice, with the cases
# numbered below 50 and with the rest (about half the time each), longest
# first; the parts' logs are joined into $WORK/TAG/vm afterwards.
#
# A debug kernel (slow_of > 1) gets its limits multiplied, and more RAM.
boot_part() {	# TAG PART LO-HI: boot it; status and wall time go to a file
	local t=$1 part=$2 range=$3 dir=$WORK/$1/vm-$2 t0 rc=0 slow tmo only=${FUSE2PT_ONLY:-}
	[ "$part" = core ] && only=$CORE_CASES
	slow=$(slow_of "$t")
	tmo=$((KERNEL_TIMEOUT * slow))
	# (a subshell: these stay with this guest)
	VM_STALL=$((VM_STALL * slow))
	[ "$slow" = 1 ] || VM_MEM=${FUSE2PT_DEBUG_VM_MEM:-3G}
	t0=$(date +%s)
	log "booting $t ($(kver_of "$t")), cases $range${only:+ matching '$only'}${FUSE2PT_SUB:+, subtests '$FUSE2PT_SUB'}$([ "$slow" = 1 ] || echo "; timeouts x$slow, limit ${tmo}s, $VM_MEM RAM")"
	vm_boot "$(vmlinuz_of "$t")" "$WORK/$t/run.img" "$dir" "$tmo" \
		"f2ptest.tag=$t" "f2ptest.part=$range" ${only:+"f2ptest.only=$only"} \
		${FUSE2PT_SUB:+"f2ptest.sub=$FUSE2PT_SUB"} \
		${FUSE2PT_LONG:+"f2ptest.long=$FUSE2PT_LONG"} || rc=$?
	echo "$rc $(( $(date +%s) - t0 ))" > "$dir/boot.status"
	log "$t cases $range done: qemu status $rc after $(( $(date +%s) - t0 ))s"
}

# join_parts TAG PARTS...: one vm directory of the kernel's parts; sets
# BOOT_RC (the first failing part's) and STAGE[boot-TAG] (their sum)
join_parts() {
	local t=$1 p rc wall f dir=$WORK/$1/vm
	shift
	BOOT_RC=0
	STAGE[boot-$t]=0
	rm -rf "$dir"
	mkdir -p "$dir"
	for p in "$@"; do
		for f in console.log results.log qemu.log stall.txt; do
			[ -e "$WORK/$t/vm-$p/$f" ] && cat "$WORK/$t/vm-$p/$f" >> "$dir/$f"
		done
		if read -r rc wall < "$WORK/$t/vm-$p/boot.status" 2>/dev/null; then
			[ "$BOOT_RC" != 0 ] || BOOT_RC=$rc
			STAGE[boot-$t]=$(( STAGE[boot-$t] + wall ))
		else
			BOOT_RC=lost
		fi
	done
}

PARALLEL=${FUSE2PT_PARALLEL:-2}
[ "$PARALLEL" -le 1 ] || VM_TCG_THREAD=single
# What CI can afford (2 cores, well inside 90 minutes): the whole suite on
# the oldest LTS users run most (6.1) and the newest kernel (7.3); on 5.10,
# both 6.12 builds and 7.2 the core cases, which go through every part of
# fuse2pt that differs between kernel eras (module load, the libfuse
# servers, file handles, privilege, direct I/O, the raw protocol,
# passthrough and its counters, the control files, dying servers and
# interrupts): about 7 of the suite's 27 minutes.
FULL_TAGS=" 6.1 7.3 "
CORE_CASES='@(10|11|20|30|38|44|48|50|60|61|62|63|64|66|80|83|84|88)-*'
is_full() { [ "${FUSE2PT_FULL:-0}" = 1 ] || [[ $1 == *-debug ]] || [[ $FULL_TAGS == *" $1 "* ]]; }
JOBS=()
if [ -z "${FUSE2PT_ONLY:-}" ]; then
	for t in 6.12 7.3 6.1 7.2 6.12t 5.10 6.12-debug 6.1-debug; do
		is_full "$t" && JOBS+=("$t:b:50-99" "$t:a:10-49")
	done
	for t in 5.10 6.12 6.12t 7.2; do
		is_full "$t" || JOBS+=("$t:core:10-99")
	done
else
	JOBS=(7.3:all:10-99 6.12:all:10-99 6.1:all:10-99 7.2:all:10-99 6.12t:all:10-99 5.10:all:10-99
	      6.12-debug:all:10-99 6.1-debug:all:10-99)
fi
BOOT_START=$(date +%s)
running=0
declare -A PARTS=()
for job in "${JOBS[@]}"; do
	IFS=: read -r t part range <<< "$job"
	[[ " ${TAGS[*]} " == *" $t "* ]] || continue
	PARTS[$t]+=" $part"
	rm -rf "$WORK/$t/vm-$part"
	if [ "$running" -ge "$PARALLEL" ]; then
		wait -n
		running=$((running - 1))
	fi
	boot_part "$t" "$part" "$range" &
	running=$((running + 1))
done
wait
STAGE[boot]=$(( $(date +%s) - BOOT_START ))
STAGES+=(boot)

# The server authors' tool (tools/fuse2pt-ci run, issue 22), as they run
# it: its own four guests, one after another once the suite's are done
# (tests/host/ci-tool.sh), on 6.1 and 7.3 where they are among the tags.
# It runs with the whole suite (make check, make check-all), or when
# FUSE2PT_CI_TOOL=1 (make check-ci); FUSE2PT_CI_TOOL=0 leaves it out.
HOST_CI=$WORK/host-ci
HOST_CI_RC=skipped
CI_TAGS=()
for t in 6.1 7.3; do [[ " ${TAGS[*]} " == *" $t "* ]] && CI_TAGS+=("$t"); done
if [ ${#CI_TAGS[@]} -gt 0 ] && { [ "${FUSE2PT_CI_TOOL:-}" = 1 ] ||
   { [ -z "${FUSE2PT_ONLY:-}" ] && [ "${FUSE2PT_CI_TOOL:-}" != 0 ]; }; }; then
	HOST_CI_RC=0
	stage host-ci bash "$TOP/tests/host/ci-tool.sh" "$HOST_CI" "${CI_TAGS[@]}" || HOST_CI_RC=$?
fi
for t in "${TAGS[@]}"; do
	# shellcheck disable=SC2086
	join_parts "$t" ${PARTS[$t]}
	NPARTS=$(wc -w <<< "${PARTS[$t]}")
	parse_kernel "$t"
done

# host_stage_report RC DIR TITLE WHERE: a host stage's line in the report,
# its failures and skips, and its counts in the totals
host_stage_report() {
	local rc=$1 dir=$2 title=$3 where=$4 res np nf line
	[ "$rc" != skipped ] || return 0
	res=$(cat "$dir/results.log" 2>/dev/null)
	np=$(grep -c '^RESULT PASS ' <<< "$res")
	nf=$(grep -c '^RESULT FAIL ' <<< "$res")
	[ "$rc" = 0 ] || [ "$nf" -gt 0 ] || nf=1	# died without saying why
	say "== host: $title: $np passed, $nf failed ($where)"
	while IFS= read -r line; do say "$line"; done < <(grep -E '^RESULT (FAIL|SKIP) ' <<< "$res" |
		sed 's/^RESULT \([A-Z]*\) \([^ ]*\) \{0,1\}/   \1 \2: /' | cut -c1-400)
	[ "$rc" = 0 ] || say "   stage exit status $rc"
	TOTAL_PASS=$((TOTAL_PASS + np))
	TOTAL_FAIL=$((TOTAL_FAIL + nf))
}
host_stage_report "$HOST_DEB_RC" "$HOST_DEB" ".deb and DKMS" "log $HOST_DEB/log"
host_stage_report "$HOST_CI_RC" "$HOST_CI" "fuse2pt-ci run on ${CI_TAGS[*]}" "outputs in $HOST_CI"

echo
printf '%s\n' "${REPORT[@]}"
echo
timing="== wall time per stage:"
for s in "${STAGES[@]}"; do timing+=" $s ${STAGE[$s]}s,"; done
echo "${timing%,}; total $(( $(date +%s) - RUN_START ))s"
echo "$TOTAL_PASS passed, $TOTAL_FAIL failed"
[ "$TOTAL_FAIL" = 0 ]
