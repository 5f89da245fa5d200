#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 600
#
# POSIX ACLs with a server that takes FUSE_POSIX_ACL (ptsrv --acl: xattrs
# passed through to a tmpfs source, new nodes made as the caller with the
# caller's umask).  One scenario (acl_scenario) runs as root and as uid
# 1000 on three trees: a plain tmpfs (what a local filesystem does), stock
# fuse and fuse2pt.  It covers access ACLs granting and denying uid 1000,
# default ACLs inherited by new files and directories with the umask
# ignored, chmod changing the ACL mask, an ACL equal to a mode stored as
# the mode, SGID dropped by setfacl of an owner outside the group, and a
# change on the source seen after the attribute timeout.
#
# fuse2pt must print what the local tmpfs prints, line for line.  Stock
# fuse must too, except for the SGID line: stock fuse leaves SGID to the
# server (FUSE_SETXATTR_ACL_KILL_SGID, which libfuse drops), so a server
# running as root keeps it; fuse2pt clears it as local filesystems do.
# getfacl of the whole tree through the mount must equal getfacl of the
# source tree.

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/60-pt.lib"

U=1000
as_user() { setpriv --reuid=$U --regid=$U --clear-groups "$@"; }
try_user() { if as_user "$@" >/dev/null 2>&1; then echo ok; else echo denied; fi; }
acl() { (cd "$1" && getfacl -n "$2" 2>&1 | grep -v '^$' | tr '\n' ' '); echo; }

# acl_scenario DIR SRC: run in DIR (SRC: where DIR's data lives, for the
# change behind the mount's back), print "label: result" lines
acl_scenario() {
	local d=$1 src=$2
	mkdir "$d/a"
	chmod 755 "$d/a"
	echo secret > "$d/a/f"
	chmod 600 "$d/a/f"
	echo "user read 600: $(try_user cat "$d/a/f")"
	setfacl -m u:$U:r "$d/a/f"
	echo "user read u:$U:r: $(try_user cat "$d/a/f")"
	echo "user write u:$U:r: $(try_user sh -c "echo x >> '$d/a/f'")"
	echo "mode with ACL: $(stat -c %a "$d/a/f")"
	echo "acl a/f: $(acl "$d" a/f)"
	setfacl -m u:$U:- "$d/a/f"
	echo "user read u:$U:-: $(try_user cat "$d/a/f")"

	# a named entry denies what "other" would grant
	echo pub > "$d/a/pub"
	chmod 644 "$d/a/pub"
	echo "user read 644: $(try_user cat "$d/a/pub")"
	setfacl -m u:$U:- "$d/a/pub"
	echo "user read 644 u:$U:-: $(try_user cat "$d/a/pub")"

	# chmod changes the mask, and so what the named entry gets
	setfacl -m u:$U:rw "$d/a/f"
	echo "user write u:$U:rw: $(try_user sh -c "echo y >> '$d/a/f'")"
	chmod 640 "$d/a/f"
	echo "acl after chmod 640: $(acl "$d" a/f)"
	echo "user write after chmod 640: $(try_user sh -c "echo z >> '$d/a/f'")"
	echo "user read after chmod 640: $(try_user cat "$d/a/f")"

	# an ACL the mode says all of is the mode
	echo m > "$d/a/min"
	chmod 600 "$d/a/min"
	setfacl --set u::rwx,g::r-x,o::r-- "$d/a/min"
	echo "mode after minimal ACL: $(stat -c %a "$d/a/min")"
	echo "acl xattr after minimal ACL: $(getfattr -n system.posix_acl_access "$d/a/min" 2>&1 | grep -c posix_acl_access=)"
	setfacl -b "$d/a/f"
	echo "acl after setfacl -b: $(acl "$d" a/f)"

	# default ACLs: inherited, and the umask has no say
	mkdir "$d/dd"
	setfacl -m u:$U:rwx "$d/dd"
	setfacl -d -m u:$U:rwx,g::r-x,o::--- "$d/dd"
	(umask 077; touch "$d/dd/file"; mkdir "$d/dd/sub")
	echo "inherited file: $(stat -c %a "$d/dd/file") $(acl "$d" dd/file)"
	echo "inherited dir: $(stat -c %a "$d/dd/sub") $(acl "$d" dd/sub)"
	as_user sh -c "umask 077; echo u > '$d/dd/ufile'; mkdir '$d/dd/usub'"
	echo "user file: $(stat -c '%u %a' "$d/dd/ufile") $(acl "$d" dd/ufile)"
	echo "user dir: $(stat -c '%u %a' "$d/dd/usub") $(acl "$d" dd/usub)"
	(umask 077; touch "$d/a/nodefault")
	echo "umask without default ACL: $(stat -c %a "$d/a/nodefault")"

	# setfacl by the owner outside the group drops SGID
	echo g > "$d/a/sgid"
	chown $U:4242 "$d/a/sgid"
	chmod 2770 "$d/a/sgid"
	as_user setfacl -m u:4243:r "$d/a/sgid"
	echo "sgid: $(stat -c %a "$d/a/sgid")"

	# the owner may set ACLs, nobody else
	echo "user setfacl on root's file: $(try_user setfacl -m u:$U:rw "$d/a/pub")"

	# a change behind the mount's back shows once the attributes expire
	setfacl -m u:$U:r "$src/a/pub"
	sleep 2
	echo "user read after source change: $(try_user cat "$d/a/pub")"
}

acl_run() {	# TYPE OUT: the scenario through TYPE, getfacl of both trees
	local type=$1 out=$2 mnt=$T_WORK/mnt/$1
	ptc_source
	chmod 755 "$T_SRC"
	t_start "$type:mount"
	T_MOUNT_OPTS=allow_other t_mount "$type" "$mnt" ptsrv --acl --no-passthrough \
		--mode cached --stats "$T_WORK/stats-$type" "$T_SRC" || return 1
	PTC_STATS=$T_WORK/stats-$type
	ptc_stats
	t_expect_eq "server got FUSE_CAP_POSIX_ACL" "$(ptc_stat posix_acl)" 1
	t_pass
	t_start "$type:scenario"
	acl_scenario "$mnt" "$T_SRC" > "$out" 2>&1
	(cd "$mnt" && getfacl -R -n . 2>&1) > "$out.mnt-tree"
	(cd "$T_SRC" && getfacl -R -n . 2>&1) > "$out.src-tree"
	t_expect_files_eq "getfacl -R through $type equals the source's" "$out.src-tree" "$out.mnt-tree"
	t_umount "$mnt"
	umount "$T_SRC"
	sed 's/^/  | /' "$out"
	t_pass
}

command -v setfacl >/dev/null && command -v getfacl >/dev/null &&
	command -v getfattr >/dev/null && command -v setpriv >/dev/null ||
	t_die "setfacl, getfacl, getfattr or setpriv missing in the guest"

t_start local
mkdir -p "$T_WORK/local"
mount -t tmpfs -o mode=755 local "$T_WORK/local"
acl_scenario "$T_WORK/local" "$T_WORK/local" > "$T_WORK/out-local" 2>&1
umount "$T_WORK/local"
sed 's/^/  | /' "$T_WORK/out-local"
t_pass

acl_run fuse2pt "$T_WORK/out-fuse2pt"
t_start fuse2pt:same-as-local
t_expect_files_eq "scenario on fuse2pt equals local tmpfs" "$T_WORK/out-local" "$T_WORK/out-fuse2pt" ||
	diff "$T_WORK/out-local" "$T_WORK/out-fuse2pt"
t_pass

if [ -c /dev/fuse ]; then
	acl_run fuse "$T_WORK/out-fuse"
	t_start fuse2pt:same-as-stock
	grep -v '^sgid:' "$T_WORK/out-fuse" > "$T_WORK/cmp-fuse"
	grep -v '^sgid:' "$T_WORK/out-fuse2pt" > "$T_WORK/cmp-fuse2pt"
	t_expect_files_eq "scenario on fuse2pt equals stock fuse (but SGID)" "$T_WORK/cmp-fuse" "$T_WORK/cmp-fuse2pt" ||
		diff "$T_WORK/cmp-fuse" "$T_WORK/cmp-fuse2pt"
	t_note "SGID after an outsider owner's setfacl: stock $(grep '^sgid:' "$T_WORK/out-fuse"), fuse2pt $(grep '^sgid:' "$T_WORK/out-fuse2pt")"
	t_pass
else
	t_start fuse2pt:same-as-stock
	t_skip "no /dev/fuse in this guest: no stock reference"
fi
