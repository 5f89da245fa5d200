#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# POSIX behaviour through libfuse's passthrough servers, fuse2pt against
# stock fuse.  For each server, each mount runs on a fresh tmpfs backing
# tree of its own (identical: empty), posixsuite runs inside the mount, and
# the output on fuse2pt must equal the output on stock fuse byte for byte.
# posixsuite prints only what two mounts of the same server must agree on,
# so any difference is a behaviour difference of the kernel client.
#
# Per server, three tests:
#   SERVER-all       every group, no kernel options (so the perms group,
#                    run as uid 1000, sees a mount without allow_other)
#   SERVER-perms-dp  the perms group with default_permissions,allow_other
#   SERVER-perms-ao  the perms group with allow_other alone (the server,
#                    running as root, then decides)
#
# Environment (all optional):
#   PS_SERVERS      servers to run ("passthrough_ll passthrough"; the
#                   bookworm builds, e.g. passthrough_ll-314, work too)
#   PS_USER         UID:GID for the perms group (1000:1000)
#   PS_RUN_TIMEOUT  seconds one posixsuite run may take (600)
#   PS_IGNORE       extended regex of check names left out of the
#                   comparison on both sides (empty).  For known, intended
#                   differences only, e.g. a feature fuse2pt implements
#                   that an old kernel's own fuse lacks.
#
# timeout: 2400
. /tests/lib.sh

# passthrough_ll keeps an fd open per inode it knows: the 10,000-entry
# directory needs more than the default 1024 (the servers inherit this).
ulimit -n 65536 || t_note "cannot raise the open-file limit: many_* checks may hit EMFILE"

PS_SERVERS=${PS_SERVERS:-"passthrough_ll passthrough"}
PS_USER=${PS_USER:-1000:1000}
PS_RUN_TIMEOUT=${PS_RUN_TIMEOUT:-1500}
PS_IGNORE=${PS_IGNORE:-}
PS_OUT=$T_WORK/posix
mkdir -p "$PS_OUT"

# ps_server_args SERVER BACK: set PS_ARGS to the server's arguments for
# serving BACK.  The high-level example has no source option; libfuse's
# subdir module roots it at BACK instead.
ps_server_args() {
	case $1 in
	passthrough_ll*) PS_ARGS=(-f -o "source=$2,xattr") ;;
	passthrough*)	 PS_ARGS=(-f -o "modules=subdir,subdir=$2") ;;
	*)		 PS_ARGS=(-f) ;;
	esac
}

# ps_run TYPE SERVER KOPTS OUT [POSIXSUITE-ARGS...]: mount SERVER on TYPE
# (fuse2pt or fuse) over a fresh empty tmpfs, run posixsuite, unmount.
# The output goes to OUT, its stderr to OUT.err.
ps_run() {
	local type=$1 srv=$2 kopts=$3 out=$4 back mnt rc=0
	shift 4
	back=$T_WORK/back-$type
	mnt=$T_WORK/mnt/posix-$type
	rm -f "$out" "$out.err"
	mkdir -p "$back"
	t_check "fresh backing tmpfs for $type" \
		mount -t tmpfs -o size=512m,mode=755 psback "$back" || return 1
	ps_server_args "$srv" "$back"
	if ! T_MOUNT_OPTS=$kopts t_mount "$type" "$mnt" "$srv" "${PS_ARGS[@]}"; then
		umount "$back"
		return 1
	fi
	timeout -k 10 "$PS_RUN_TIMEOUT" "$T_BIN/posixsuite" -u "$PS_USER" "$@" "$mnt" \
		> "$out" 2> "$out.err" || rc=$?
	t_expect_eq "posixsuite exit status on $type ($srv)" "$rc" 0
	if grep -q '^time: group ' "$out.err"; then
		t_note "$type times: $(sed -n 's/^time: group //p' "$out.err" | tr '\n' ' ')"
		sed -i '/^time: group /d' "$out.err"
	fi
	if [ -s "$out.err" ]; then
		t_note "posixsuite stderr on $type:"
		sed 's/^/  | /' "$out.err" | head -n 20
	fi
	t_umount "$mnt"
	t_check "umount backing tmpfs of $type" umount "$back"
	t_note "$type: $(tail -n 1 "$out")"
}

# ps_filter IN OUT: the output without the PS_IGNORE checks.
ps_filter() {
	if [ -n "$PS_IGNORE" ]; then
		grep -Ev "^($PS_IGNORE): " "$1" > "$2"
	else
		cp "$1" "$2"
	fi
}

# ps_compare NAME: fuse2pt's output must equal stock fuse's, and both
# must be complete runs without a FAIL line (timeout, crash).
ps_compare() {
	local base=$PS_OUT/$1 t
	for t in fuse fuse2pt; do
		[ -f "$base.$t" ] || { t_fail "no posixsuite output on $t"; return 1; }
		t_check "posixsuite ran to the end on $t" \
			grep -Eq '^posixsuite: [1-9][0-9]* checks$' "$base.$t"
		t_check_fails "no FAIL lines on $t" grep -q ': FAIL' "$base.$t"
		ps_filter "$base.$t" "$base.$t.cmp"
	done
	t_expect_files_eq "posixsuite output, stock fuse (-) vs fuse2pt (+)" \
		"$base.fuse.cmp" "$base.fuse2pt.cmp"
}

# ps_test NAME SERVER KOPTS [POSIXSUITE-ARGS...]
ps_test() {
	local name=$1 srv=$2 kopts=$3 t
	shift 3
	t_start "$name"
	t_need_bin posixsuite || { t_pass; return; }
	t_need_bin "$srv" || { t_pass; return; }
	t_need_module || { t_pass; return; }
	for t in fuse fuse2pt; do
		ps_run "$t" "$srv" "$kopts" "$PS_OUT/$name.$t" "$@" || { t_pass; return; }
	done
	ps_compare "$name"
	t_pass
}

# The dir group's big directory, made, listed and emptied through the
# mount: 1,000 entries (10,000 cost minutes per kernel under emulation);
# 37-big-dir lists a directory of 10,000 completely.
ps_nfiles() {
	case $1 in
	passthrough_ll*) echo "${PS_NFILES:-1000}" ;;
	*) echo "${PS_NFILES_HL:-1000}" ;;
	esac
}

for srv in $PS_SERVERS; do
	ps_test "$srv-all" "$srv" "" -N "$(ps_nfiles "$srv")"
	ps_test "$srv-perms-dp" "$srv" "default_permissions,allow_other" -g perms
	ps_test "$srv-perms-ao" "$srv" "allow_other" -g perms
done
