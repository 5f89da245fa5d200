#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 400
# timeout-long: 3000
#
# Stress: 8 clients at once (tests/life/stress.c), each with a directory
# of its own whose every byte it checks against a model, all racing in a
# shared directory too.  On fuse2pt over libfuse's passthrough_ll and over
# ptsrv with passthrough opens; stock fuse over passthrough_ll is the
# reference (no client may see an error there either), and over ptsrv
# too where it has passthrough (6.9 and later).  A run ends with
# umount, the server's exit and an unchanged dmesg (the harness checks).
# CI: 30 s per fuse2pt server (1 minute in all) and 10 s on stock;
# FUSE2PT_LONG: 5 minutes per fuse2pt server (10 minutes), 1 on stock.
. /tests/lib.sh

CLIENTS=8
if [ -n "${FUSE2PT_LONG:-}" ]; then SECS=300 REF_SECS=60; else SECS=30 REF_SECS=10; fi
BACK=$T_WORK/stress-back

st_run() {	# NAME TYPE SECONDS PROG ARGS...
	local name=$1 type=$2 secs=$3 mnt=$T_WORK/mnt/stress-$1 out=$T_WORK/stress-$1.out rc
	shift 3
	t_start "$name"
	rm -rf "${BACK:?}"/*
	t_mount "$type" "$mnt" "$@" || { t_fail "$name: mount failed"; return 1; }
	timeout -s KILL $((secs + 120)) "$T_BIN/stress" "$mnt" "$CLIENTS" "$secs" "$RANDOM" > "$out" 2>&1
	rc=$?
	[ $rc = 137 ] && _t_mark_fail "$name: the clients hung (killed after $((secs + 120)) s)"
	t_note "$name: $(awk '/^client [0-9]+: [0-9]+ ops/ { ops += $3; errs += $5 } END { printf "%d ops, %d errors", ops, errs }' "$out") in ${secs}s, $CLIENTS clients"
	[ $rc = 0 ] || { sed 's/^/  | /' "$out" | head -n 30; _t_mark_fail "$name: stress exited $rc"; }
	t_expect_eq "$name: clients that finished" "$(grep -Ec '^client [0-9]+: [0-9]+ ops' "$out")" "$CLIENTS"
	t_umount "$mnt"
	t_pass
}

t_start setup
t_need_module || exit 0
t_need_bin stress || exit 0
t_need_bin ptsrv || exit 0
mkdir -p "$BACK"
t_check "backing tmpfs" mount -t tmpfs -o size=256m stressback "$BACK" || exit 0
_t_name=""

st_run fuse2pt-passthrough_ll fuse2pt "$SECS" passthrough_ll -f -o source="$BACK"
st_run fuse2pt-ptsrv-passthrough fuse2pt "$SECS" ptsrv --mode pt "$BACK"
if { [ -c /dev/fuse ] || modprobe fuse 2>/dev/null; } && grep -qw fuse /proc/filesystems; then
	st_run fuse-passthrough_ll fuse "$REF_SECS" passthrough_ll -f -o source="$BACK"
	if t_kernel_at_least 6.9; then
		st_run fuse-ptsrv-passthrough fuse "$REF_SECS" ptsrv --mode pt "$BACK"
	else
		t_start fuse-ptsrv-passthrough
		t_skip "stock fuse on $(uname -r) has no passthrough (before 6.9): no reference on this kernel"
	fi
else
	t_start fuse-passthrough_ll
	t_fail "stock fuse is missing: no reference"
fi
umount "$BACK"
