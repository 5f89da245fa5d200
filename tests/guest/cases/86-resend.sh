#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 200
#
# FUSE_NOTIFY_RESEND: a server that lost a request it had read (rawbad
# "resend" holds the first READ back unanswered) asks the kernel to send
# again everything it holds.  The READ comes back with FUSE_UNIQUE_RESEND
# in its unique, is answered, and the reader gets its data.  Stock fuse
# has the notification from 6.9 on and is the reference there; before,
# it refuses it (EINVAL) and rawbad answers the held READ late.
. /tests/lib.sh

rs_test() {	# TYPE -> $T_WORK/rs-TYPE.res
	local type=$1 mnt=$T_WORK/mnt/resend-$1 res=$T_WORK/rs-$1.res log
	: > "$res"
	t_mount "$type" "$mnt" rawbad resend || return 1
	log=${_t_srv_log[$mnt]}
	echo "cat: $(timeout -s KILL 30 cat "$mnt/file" 2>&1) rc=$?" >> "$res"
	t_umount "$mnt"
	grep -E '^rawbad: (resend|notify resend)' "$log" | sed 's/^rawbad: /server: /' >> "$res"
	sed 's/^/  | '"$type"': /' "$res"
}

t_start resend
t_need_module || exit 0
t_need_bin rawbad || exit 0
rs_test fuse2pt
t_expect_eq "fuse2pt: the reader's data" "$(grep '^cat:' "$T_WORK/rs-fuse2pt.res")" "cat: version 1 rc=0"
t_expect_eq "fuse2pt: server's view" "$(grep '^server:' "$T_WORK/rs-fuse2pt.res" | paste -sd'|')" \
	"server: resend: holding a READ|server: notify resend: accepted|server: resend: READ again, unique marked"
t_pass

t_start resend-stock-reference
if ! { [ -c /dev/fuse ] || modprobe fuse 2>/dev/null; } || ! grep -qw fuse /proc/filesystems; then
	t_fail "stock fuse is missing: nothing to compare with"
elif ! t_kernel_at_least 6.9; then	# stock's NOTIFY_RESEND came in 6.9
	rs_test fuse
	t_expect_eq "stock fuse on $(uname -r) refuses NOTIFY_RESEND" \
		"$(grep 'notify resend' "$T_WORK/rs-fuse.res")" "server: notify resend: rejected EINVAL"
	t_skip "stock fuse on $(uname -r) has no NOTIFY_RESEND (from 6.9 on): no reference on this kernel"
else
	rs_test fuse
	t_expect_files_eq "fuse2pt and stock fuse" "$T_WORK/rs-fuse.res" "$T_WORK/rs-fuse2pt.res"
	t_pass
fi
