#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# fuse2pt-ci's VM mode (tools/fuse2pt-ci run), as a server author runs it:
#   ci-bad-input        a missing server, a test that is not executable,
#                       an unknown kernel, a library the server needs and
#                       this machine lacks, a bad --timeout: exit 2 with
#                       the reason, before anything is built or booted
#   ci-passthrough_hp   libfuse 3.17's passthrough_hp with the README's
#                       read/write/mmap test (mytest.sh, the block of
#                       "Test your server's passthrough in CI" that is it) on each
#                       kernel: exit 0, the test passes on fuse2pt (and on
#                       stock fuse where it has passthrough), fuse2pt's
#                       counters show the bytes, the server saw no READ or
#                       WRITE, dmesg clean
#   ci-broken-server    ptraw asking for passthrough with a backing id it
#                       never registered: the test fails, exit 1, and the
#                       report names fuse2pt's refusal and its reason
#   ci-hang             a test that never ends: killed at --timeout with
#                       what it started, the report says so, exit 1, and
#                       the guest still finishes
#   ci-mount-failed     a server that exits before it serves (passthrough_hp
#                       on a source that does not exist): MOUNT-FAILED with
#                       the server's last words, exit 1
#
#   tests/host/ci-tool.sh OUTDIR [TAGS...]     (default TAGS: 6.1 7.3)
#
# Run by tests/run.sh after the guests (the suite's WORK holds the test
# programs and each kernel's fuse2pt.ko, which the tool takes through
# FUSE2PT_CI_PREBUILT instead of building again).  Results:
# OUTDIR/results.log, lines "RESULT PASS|FAIL|SKIP host:NAME ...".
set -uo pipefail
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/host/lib.sh"

need_root
host_results "$1"
shift
TAGS=("$@")
[ ${#TAGS[@]} -gt 0 ] || TAGS=(6.1 7.3)
SUITE_WORK=${FUSE2PT_WORK:-$CACHE/work}
CI=$TOP/tools/fuse2pt-ci
BIN=$SUITE_WORK/bin
LIBFUSE=$CACHE/trixie/usr/lib/x86_64-linux-gnu/libfuse3.so.4	# what passthrough_hp was built against
export FUSE2PT_CI_PREBUILT=$SUITE_WORK FUSE2PT_WORK=$SUITE_WORK/ci-tool
# the tool's guests one at a time, each on one host thread (the suite's
# guests may still be running beside them)
export VM_TCG_THREAD=single

BAD=()
bad() { BAD+=("$*"); }
verdict() {	# NAME: PASS, or FAIL with what bad() collected
	if [ ${#BAD[@]} = 0 ]; then result PASS "$1"; else result FAIL "$1" "$(IFS=';'; echo "${BAD[*]}")"; fi
	BAD=()
}
# ci WANT-STATUS NAME ARGS...: fuse2pt-ci ARGS, output in $OUT/NAME.out;
# its wall time in SECS
ci() {
	local want=$1 name=$2 rc=0 t0
	shift 2
	t0=$(date +%s)
	"$CI" "$@" > "$OUT/$name.out" 2>&1 || rc=$?
	SECS=$(( $(date +%s) - t0 ))
	[ "$rc" = "$want" ] || bad "$name: status $rc, want $want ($(tail -n 5 "$OUT/$name.out" | tr '\n' ' ' | cut -c1-300))"
	log "fuse2pt-ci $name: status $rc after ${SECS}s"
}
# said NAME ERE WHAT: the output of run NAME has a line matching ERE
said() {
	grep -Eq -- "$2" "$OUT/$1.out" || bad "$1: $3: no line matches /$2/ ($OUT/$1.out)"
}
# row NAME TAG ERE WHAT: the table row of kernel TAG matches ERE
row() {
	local r
	r=$(grep -E "^$2 [0-9]" "$OUT/$1.out" | head -n 1)
	[[ $r =~ $3 ]] || bad "$1: $2: $4: row '$r' does not match /$3/"
}

# --- bad input: each refused at once, nothing built or booted ----------
BI=$OUT/bad-input
mkdir -p "$BI"
printf '#!/bin/sh\nexit 0\n' > "$BI/test-noexec.sh"
chmod 644 "$BI/test-noexec.sh"
ci 2 missing-server run --server "$BI/no-such-server" --test "$TOP/tests/ci/cat-file.sh" --out "$BI/out"
said missing-server "server $BI/no-such-server does not exist" "the reason"
ci 2 noexec-test run --server "$BIN/ptraw" --test "$BI/test-noexec.sh" --out "$BI/out"
said noexec-test "test-noexec.sh is not executable" "the reason"
ci 2 unknown-kernel run --server "$BIN/ptraw" --test "$TOP/tests/ci/cat-file.sh" --kernels 6.1,4.19 --out "$BI/out"
said unknown-kernel "unknown kernel '4.19'" "the reason"
ci 2 bad-timeout run --server "$BIN/ptraw" --test "$TOP/tests/ci/cat-file.sh" --timeout 1m --out "$BI/out"
said bad-timeout "--timeout wants seconds" "the reason"
if ldconfig -p | grep -q 'libfuse3\.so\.4 '; then
	log "this host has libfuse3.so.4: the missing-library check is left out"
else
	ci 2 missing-lib run --server "$BIN/passthrough_hp" --test "$TOP/tests/ci/cat-file.sh" --out "$BI/out"
	said missing-lib "needs libraries this machine does not have: libfuse3\.so\.4 \(give them with --lib FILE\)" "the reason"
fi
[ ! -e "$BI/out" ] || bad "a refused run created its --out directory"
verdict ci-bad-input

# --- passthrough_hp and the example test --------------------------------
if [ ! -x "$BIN/passthrough_hp" ] || [ ! -x "$BIN/ptraw" ] || [ ! -f "$LIBFUSE" ]; then
	result FAIL ci-passthrough_hp "passthrough_hp or ptraw not built ($BIN), or no $LIBFUSE: see the test programs' build"
	exit 0
fi
kernels=$(IFS=,; echo "${TAGS[*]}")
# the section's block that is mytest.sh: a #!/bin/sh script naming itself
for n in 1 2 3 4 5 6; do
	readme_block "Test your server's passthrough in CI" "$n" > "$OUT/mytest.sh"
	head -n 2 "$OUT/mytest.sh" | tr '\n' ' ' | grep -q '^#!/bin/sh # mytest.sh ' && break
	: > "$OUT/mytest.sh"
done
chmod 755 "$OUT/mytest.sh"
[ -s "$OUT/mytest.sh" ] ||
	bad "passthrough_hp: no block of \"Test your server's passthrough in CI\" in the README is mytest.sh"
ci 0 passthrough_hp run --kernels "$kernels" --server "$BIN/passthrough_hp" --lib "$LIBFUSE" \
	--server-args '--foreground --debug-fuse {src}' --test "$OUT/mytest.sh" \
	--out "$OUT/passthrough_hp"
for t in "${TAGS[@]}"; do
	if grep -q '^CONFIG_FUSE_PASSTHROUGH=y' "$CACHE/kernels/$t/root/boot/config-$(cat "$CACHE/kernels/$t/KVER")" 2>/dev/null; then
		row passthrough_hp "$t" ' PASS [0-9]+s +PASS [0-9]+s +yes: 12M read, 4\.0M written +0/0 +0/0 +clean$' \
			"stock fuse and fuse2pt pass, passthrough on both"
	else
		row passthrough_hp "$t" ' n/a \(no passthrough\) +PASS [0-9]+s +yes: 12M read, 4\.0M written +0/0 +- +clean$' \
			"fuse2pt passes with passthrough"
	fi
	grep -q 'read, write and mmap of 4 MiB files on /srv/ci/fuse2pt/mnt: ok' "$OUT/passthrough_hp/$t/fuse2pt-test.log" 2>/dev/null ||
		bad "passthrough_hp: $t: the test's output is not in fuse2pt-test.log"
done
said passthrough_hp '^time: [0-9]+s in all' "the time line"
[ ${#BAD[@]} = 0 ] && log "passthrough_hp on ${TAGS[*]}: ${SECS}s"
verdict ci-passthrough_hp
grep -A8 '^kernel ' "$OUT/passthrough_hp.out" >&2

# --- a server that asks for passthrough with a bad backing id -----------
mkdir -p "$OUT/data"
head -c 100000 /dev/urandom > "$OUT/data/back"
ci 1 broken-server run --kernels "${TAGS[0]}" --server "$BIN/ptraw" --server-args 'pt badid {src}/back' \
	--data "$OUT/data" --test "$TOP/tests/ci/cat-file.sh" --out "$OUT/broken-server"
row broken-server "${TAGS[0]}" ' FAIL \(rc [0-9]+\) +REFUSED x1 ' "the test fails, passthrough refused"
said broken-server "^${TAGS[0]}: fuse2pt: FAIL: the test exited with status [0-9]+; passthrough refused 1 time\\(s\\), the last: backing id 4242 is not registered" "the reason"
verdict ci-broken-server

# --- a test that never ends ----------------------------------------------
ci 1 hang run --kernels "${TAGS[0]}" --server "$BIN/ptraw" --server-args 'pt pt {src}/back' \
	--data "$OUT/data" --test "$TOP/tests/ci/hang.sh" --timeout 20 --out "$OUT/hang"
row hang "${TAGS[0]}" ' TIMEOUT (2[0-9]|3[0-9])s +.* clean$' "the test timed out, the guest is clean"
said hang "^${TAGS[0]}: fuse2pt: TIMEOUT: the test was killed after 20s" "the reason"
grep -q 'did not finish\|never started' "$OUT/hang.out" && bad "hang: the guest did not finish"
grep -q 'killed after 20s' "$OUT/hang/${TAGS[0]}/fuse2pt-test.log" 2>/dev/null ||
	bad "hang: the test's log does not say it was killed"
verdict ci-hang

# --- a server that never serves ------------------------------------------
ci 1 mount-failed run --kernels "${TAGS[0]}" --server "$BIN/passthrough_hp" --lib "$LIBFUSE" \
	--server-args '--foreground /nonexistent/source' --test "$TOP/tests/ci/cat-file.sh" \
	--mount-timeout 15 --out "$OUT/mount-failed"
row mount-failed "${TAGS[0]}" ' MOUNT-FAILED +' "the mount failed"
said mount-failed "^${TAGS[0]}: fuse2pt: MOUNT-FAILED: the server exited with status [1-9][0-9]* before its fuse2pt\.passthrough_hp mount answered; its last words: [^ ]" \
	"the reason, with the server's words"
verdict ci-mount-failed
