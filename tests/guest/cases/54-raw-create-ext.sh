#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# Request extensions of the creating requests (issue 3):
# FUSE_SECURITY_CTX (protocol 7.36) and FUSE_CREATE_SUPP_GROUP (7.38).
# No libfuse release negotiates them, so rawbad (tests/servers/rawbad.c,
# hidden mode "ext") accepts both in INIT, checks the extension area of
# every MKNOD, MKDIR, SYMLINK, CREATE and TMPFILE (total_extlen against
# the request's length, each record's size, padding and contents) and
# logs one line per request: opcode, name, the header's uid and gid,
# total_extlen, the security-context record and the groups.
#
# mkext (tests/servers/mkext.c) makes a file, a directory, a symlink, a
# fifo and an O_TMPFILE file with given credentials in g (group 4242,
# setgid off) and gs (group 4242, setgid on):
#   r  root, groups none             no group record (root is no member)
#   u  uid 1000, gid 1000, + 4242    groups 4242: a member only by a
#                                    supplementary group
#   p  uid 1000, gid 4242            no group record (fsgid is the group)
#   n  uid 1000, gid 1000            no group record (no member)
# The setgid bit makes no difference: mainline sends the group either way.
# TMPFILE carries the tmpfile dentry's name, "/", as mainline's does.
#
# The security-context record is always there (nr 0 here: the Debian
# guests run AppArmor, whose LSMs give no context for a new object; a
# kernel with SELinux would send one).
#
# fuse2pt's lines must be the expected ones on every kernel, and the same
# as stock fuse's on 6.12 and 7.3.  Stock 6.1 sends SECURITY_CTX in its
# first form (an extra argument, no total_extlen: request extensions came
# in 6.3) and has no CREATE_SUPP_GROUP, so its reference run is skipped.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

CE_TIMEOUT=30	# below the guest's hung-task timeout
CE_WHO="r:0:0:- u:1000:1000:4242 p:1000:4242:- n:1000:1000:-"

# ce_run KIND: mount rawbad ext, make the objects, umount; the results go
# to $T_WORK/ce-KIND.res
ce_run() {
	local k=$1 mnt=$T_WORK/mnt/ce-$1 res=$T_WORK/ce-$1.res log d w
	log=$T_WORK/logs/$k-rawbad-ce-$k.log
	rm -f "$res"
	T_MOUNT_OPTS=allow_other t_mount "$k" "$mnt" rawbad ext || return 1
	{
		for d in g gs; do
			for w in $CE_WHO; do
				IFS=: read -r p u g s <<< "$w"
				timeout -s KILL "$CE_TIMEOUT" "$T_BIN/mkext" \
					"$u" "$g" "$s" "$mnt/$d" "$d-$p"
				echo "mkext $d-$p: rc=$?"
			done
		done
	} > "$res" 2>&1
	t_umount "$mnt" || return 1
	grep -E '^rawbad: ext' "$log" | sed 's/^rawbad: /server: /' >> "$res"
}

# What fuse2pt can send on this kernel: the security context needs the
# LSM hook that names the xattr (5.16), O_TMPFILE the file-based
# ->tmpfile() (6.1); older kernels get neither (EOPNOTSUPP for O_TMPFILE,
# as their stock fuse).

# What mainline (6.3 and later) sends, written out from the rules above,
# less what this kernel cannot have.
ce_expected() {
	local d w p u g s ext n sc=1 tmp=OK
	t_kernel_at_least 5.16 || sc=0
	t_kernel_at_least 6.1 || tmp=EOPNOTSUPP
	for d in g gs; do
		for w in $CE_WHO; do
			IFS=: read -r p u g s <<< "$w"
			echo "$d-$p-f create: OK"
			echo "$d-$p-d mkdir: OK"
			echo "$d-$p-l symlink: OK"
			echo "$d-$p-p mknod: OK"
			echo "$d-$p tmpfile: $tmp"
			echo "mkext $d-$p: rc=0"
		done
	done
	echo "server: ext-init secctx=$sc supp-group=1"
	for d in g gs; do
		for w in $CE_WHO; do
			IFS=: read -r p u g s <<< "$w"
			# in 8-byte units: the secctx record 1, a group's 2
			n=$sc
			[ "$s" = 4242 ] && n=$((n + 2))
			ext="extlen=$n"
			[ $sc = 1 ] && ext+=" secctx nr=0"
			[ "$s" = 4242 ] && ext+=" groups 4242"
			echo "server: ext CREATE $d-$p-f uid=$u gid=$g $ext"
			echo "server: ext MKDIR $d-$p-d uid=$u gid=$g $ext"
			echo "server: ext SYMLINK $d-$p-l uid=$u gid=$g $ext"
			echo "server: ext MKNOD $d-$p-p uid=$u gid=$g $ext"
			[ "$tmp" = OK ] && echo "server: ext TMPFILE / uid=$u gid=$g $ext"
		done
	done
}

t_start "fuse2pt"
if t_need_bin mkext && t_need_bin rawbad; then
	ce_expected > "$T_WORK/ce-expected"
	if ce_run fuse2pt; then
		t_expect_files_eq "fuse2pt: results against the expected ones" \
			"$T_WORK/ce-expected" "$T_WORK/ce-fuse2pt.res"
	fi
	t_note "fuse2pt results:"
	sed 's/^/  |   /' "$T_WORK/ce-fuse2pt.res" 2>/dev/null
fi
t_pass

t_start "stock"
if ! t_kernel_at_least 6.3; then
	t_skip "stock fuse of $(uname -r) sends FUSE_SECURITY_CTX in its first form (no total_extlen; request extensions came in 6.3) and has no FUSE_CREATE_SUPP_GROUP: no reference; fuse2pt's results were checked against the expected ones"
else
	[ -c /dev/fuse ] || modprobe fuse 2>/dev/null
	if ! [ -c /dev/fuse ] || ! grep -qw fuse /proc/filesystems; then
		t_fail "stock fuse is missing: nothing to compare with"
	else
		if ce_run fuse; then
			t_expect_files_eq "stock fuse: results against the expected ones" \
				"$T_WORK/ce-expected" "$T_WORK/ce-fuse.res"
			[ -f "$T_WORK/ce-fuse2pt.res" ] &&
				t_expect_files_eq "fuse2pt against stock fuse" \
					"$T_WORK/ce-fuse.res" "$T_WORK/ce-fuse2pt.res"
		fi
		t_pass
	fi
fi
