#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# File handles (name_to_handle_at, open_by_handle_at: what NFS export
# uses) through libfuse's passthrough_ll, passthrough (high-level) and
# hello_ll, fuse2pt against stock fuse.  tests/posix/fhandle.c encodes
# handles, opens them while the objects are cached, drops the caches
# (the kernel FORGETs the objects), opens them again, and tries a deleted
# file and damaged handles; its output on fuse2pt must equal stock fuse's
# line for line, errno for errno.
#
# An object the kernel forgot comes back only if the server accepted
# FUSE_EXPORT_SUPPORT (LOOKUP of "." by nodeid); the servers run with -d,
# and the note says what each one accepted.  Whatever they accept, some
# results do not depend on it and are checked on their own as well: the
# cached objects and the root open, a deleted file and a damaged
# generation are ESTALE, an empty handle EINVAL.
#
# Then a server that refuses exporting (FUSE_NO_EXPORT_SUPPORT, below),
# and one that accepts it (ptsrv --export, fh_export below): there every
# handle is opened after the kernel forgot the object, so the LOOKUPs of
# "." and ".." by nodeid run, counted by the server.
#
# timeout: 900
. /tests/lib.sh
. /tests/lifelib.sh

FH_OUT=$T_WORK/fhandle
mkdir -p "$FH_OUT"

# fh_args SERVER BACK: the server's arguments (-d: the INIT reply is logged)
fh_args() {
	case $1 in
	passthrough_ll)	FH_ARGS=(-d -o "source=$2") ;;
	passthrough)	FH_ARGS=(-d -o "modules=subdir,subdir=$2") ;;
	*)		FH_ARGS=(-d) ;;
	esac
}

# fh_run TYPE SERVER OUT FHANDLE-ARGS...: mount, run fhandle inside, umount
fh_run() {
	local type=$1 srv=$2 out=$3 back=$T_WORK/back-$1-$2 mnt=$T_WORK/mnt/fh-$1 rc=0 log
	local waiting
	shift 3
	rm -rf "$back"
	mkdir -p "$back"
	fh_args "$srv" "$back"
	t_mount "$type" "$mnt" "$srv" "${FH_ARGS[@]}" || return 1
	log=${_t_srv_log[$mnt]}
	# fhandle waits for the connection's background requests (RELEASE)
	# before it drops the caches: its "waiting" count, in the control fs
	[ "$type" != fuse2pt ] || life_ctl_mount
	waiting=$(life_conn_dir "$type" "$mnt")/waiting
	t_check "$type: the connection's waiting count is readable" test -r "$waiting"
	FH_WAITING=$waiting timeout -k 10 300 "$T_BIN/fhandle" "$@" "$mnt" "${FH_FILE[@]}" \
		> "$out" 2> "$out.err" || rc=$?
	[ "$type" != fuse2pt ] || life_ctl_umount
	t_expect_eq "fhandle exit status on $type ($srv)" "$rc" 0
	[ -s "$out.err" ] && sed 's/^/  | stderr: /' "$out.err" | head -n 10
	t_umount "$mnt"
	# the server's INIT reply (libfuse -d prints it indented)
	t_note "$type: $srv's INIT reply: $(grep -A1 '^   INIT:' "$log" | grep -o 'flags=0x[0-9a-f]*' | head -n 1)"
	rm -rf "$back"
}

# fh_expect FILE CHECK RESULT: a check that must come out so on any server
fh_expect() {
	t_expect_eq "$2 on $(basename "$1")" \
		"$(sed -n "s/^$2: //p" "$1" | sort -u)" "$3"
}

fh_test() {	# SERVER MODE
	local srv=$1 mode=$2 base=$FH_OUT/$1 t root_entries=4
	t_start "$srv"
	t_need_bin fhandle || { t_pass; return; }
	t_need_bin "$srv" || { t_pass; return; }
	t_need_module || { t_pass; return; }
	FH_FILE=()
	# the root when it is opened: . .. fh.dir fh.file, or . .. hello
	[ "$mode" = ro ] && FH_FILE=(hello) root_entries=3
	for t in fuse fuse2pt; do
		fh_run "$t" "$srv" "$base.$t" "$mode" || { t_pass; return; }
	done
	for t in fuse fuse2pt; do
		t_check "fhandle ran to the end on $t" grep -qx 'fhandle: done' "$base.$t"
		fh_expect "$base.$t" encode.file "ok bytes=12 type=0x81"
		fh_expect "$base.$t" encode.too-small "EOVERFLOW bytes-wanted=12"
		fh_expect "$base.$t" cached.file "ok same-inode=yes read=same"
		fh_expect "$base.$t" root.dropped "ok same-inode=yes dir-entries=$root_entries"
		fh_expect "$base.$t" corrupt.zero-length "errno=EINVAL"
		t_expect_eq "damaged generations refused on $t" \
			"$(grep -c '^corrupt.generation: errno=ESTALE$' "$base.$t")" \
			"$(grep -c '^corrupt.generation: ' "$base.$t")"
		if [ "$mode" = rw ]; then
			fh_expect "$base.$t" cached.dir "ok same-inode=yes dir-entries=3"
			fh_expect "$base.$t" deleted.cached "errno=ESTALE"
			fh_expect "$base.$t" dropped.deleted "errno=ESTALE"
		else
			# hello_ll's nodeids never change: found again by path
			fh_expect "$base.$t" relooked.file "ok same-inode=yes read=same"
		fi
	done
	t_note "fuse2pt: $(grep '^dropped' "$base.fuse2pt" | tr '\n' ' ')"
	t_expect_files_eq "fhandle output, stock fuse (-) vs fuse2pt (+)" \
		"$base.fuse" "$base.fuse2pt"
	t_pass
}

# A server that refuses exporting (FUSE_NO_EXPORT_SUPPORT; ptsrv
# --no-export asks for it where the kernel offers it): no handle that
# opens, so a plain name_to_handle_at is refused (EOPNOTSUPP); where the
# kernel has AT_HANDLE_FID a FID handle is made, and opening it fails.
# Stock fuse offers the flag from 6.9 on; fuse2pt on every kernel.
fh_noexport() {
	local t base=$FH_OUT/noexport back mnt st
	t_start no-export
	t_need_bin ptsrv || { t_pass; return; }
	for t in fuse2pt fuse; do
		back=$T_WORK/back-ne-$t
		mnt=$T_WORK/mnt/fh-ne-$t
		st=$T_WORK/ne-$t.stats
		mkdir -p "$back"
		echo data > "$back/f"
		rm -f "$st" "$base.$t"
		t_mount "$t" "$mnt" ptsrv --no-passthrough --no-export --stats "$st" "$back" || continue
		timeout -k 10 60 "$T_BIN/fhandle" fid "$mnt" f > "$base.$t" 2>&1
		t_umount "$mnt"
		t_note "$t: $(grep '^no_export ' "$st") $(tr '\n' ' ' < "$base.$t")"
	done
	t_expect_eq "fuse2pt offered NO_EXPORT_SUPPORT and ptsrv took it" \
		"$(grep '^no_export ' "$T_WORK/ne-fuse2pt.stats" 2>&1)" "no_export 1"
	fh_expect "$base.fuse2pt" encode.file "errno=EOPNOTSUPP"
	t_check "fhandle ran to the end on fuse2pt" grep -qx 'fhandle: done' "$base.fuse2pt"
	if grep -qx 'no_export 1' "$T_WORK/ne-fuse.stats" 2>/dev/null; then
		t_expect_files_eq "no-export fhandle output, stock fuse (-) vs fuse2pt (+)" \
			"$base.fuse" "$base.fuse2pt"
		t_pass
	else
		t_pass
		t_start no-export-stock-reference
		t_skip "stock fuse on $(uname -r) does not offer FUSE_NO_EXPORT_SUPPORT (from 6.9 on): no reference on this kernel"
	fi
}

# fh_match FILE CHECK REGEX: the result of CHECK in FILE matches REGEX
fh_match() {
	local line got="(none)"
	while IFS= read -r line; do
		[ "${line%%: *}" = "$2" ] && got=${line#*: }
	done < "$1"
	[[ $got =~ $3 ]] && return 0
	_t_mark_fail "$2 on $(basename "$1"): got '$got', want /$3/"
	return 1
}

# fh_stat FILE NAME: a counter of ptsrv's stats
fh_stat() {
	local k v
	while read -r k v; do
		[ "$k" = "$2" ] && { echo "$v"; return; }
	done < "$1"
	echo missing
}

# A server that accepts FUSE_EXPORT_SUPPORT: ptsrv --export keeps every
# inode after FORGET and answers LOOKUP of "." (the nodeid itself) and
# ".." (a directory's parent).  fhandle export makes the objects, leaves
# the mount and opens each handle from dropped caches, each result line
# saying how many LOOKUPs of "." and ".." that open cost the server (in
# order: file, directory two levels down, connectable handle, the same
# with its parent's generation damaged, unlinked file, unknown nodeid,
# damaged generations, root).  The same on both, line for line; the
# stats show the lookups on both.
fh_export() {
	local t base=$FH_OUT/export back mnt st rc conn dd
	t_start export
	t_need_bin ptsrv || { t_pass; return; }
	t_need_bin fhandle || { t_pass; return; }
	t_need_module || { t_pass; return; }
	for t in fuse fuse2pt; do
		back=$T_WORK/back-ex-$t
		mnt=$T_WORK/mnt/fh-ex-$t
		st=$T_WORK/ex-$t.stats
		rm -rf "$back"
		mkdir -p "$back"
		rm -f "$st" "$base.$t"
		t_mount "$t" "$mnt" ptsrv --no-passthrough --mode cached --export --stats "$st" \
			"$back" || { t_pass; return; }
		rc=0
		timeout -k 10 120 "$T_BIN/fhandle" export "$mnt" "$st" "$T_SRV_PID" \
			> "$base.$t" 2> "$base.$t.err" || rc=$?
		t_expect_eq "fhandle export exit status on $t" "$rc" 0
		[ -s "$base.$t.err" ] && sed 's/^/  | stderr: /' "$base.$t.err" | head -n 10
		t_umount "$mnt"		# ptsrv writes its stats at exit
		rm -rf "$back"
		while IFS= read -r rc; do t_note "$t: $rc"; done < "$base.$t"
		# forget is not compared: stock fuse evicts an inode (and
		# FORGETs it) as soon as nothing holds it, fuse2pt keeps it in
		# the inode cache until reclaim (the two damaged-generation
		# opens leave one inode each: 2 fewer forgets on fuse2pt)
		t_note "$t: ptsrv stats: $(grep -E '^(export|forget|lookup|lookup_dot|lookup_dotdot|lookup_stale) ' "$st" | tr '\n' ' ')"
	done
	conn=no
	grep -q '^export.encode-connectable: ok' "$base.fuse2pt" && conn=yes
	for t in fuse fuse2pt; do
		base=$FH_OUT/export.$t
		st=$T_WORK/ex-$t.stats
		t_check "fhandle export ran to the end on $t" grep -qx 'fhandle: done' "$base"
		t_expect_eq "ptsrv got EXPORT_SUPPORT on $t" "$(fh_stat "$st" export)" 1
		for rc in lookup_dot lookup_dotdot lookup_stale; do
			dd=$(fh_stat "$st" $rc)
			[[ $dd =~ ^[1-9][0-9]*$ ]] ||
				_t_mark_fail "ptsrv $rc on $t: '$dd', want > 0"
		done
		fh_match "$base" export.generation '^nonzero$'
		fh_match "$base" export.setup '^forgets=yes$'
		fh_match "$base" export.file '^ok same-inode=yes read=same dot=[1-9][0-9]* dotdot=0$'
		fh_match "$base" export.dir '^ok same-inode=yes dir-entries=3 path=/fh.dir/fh.sub dot=[1-9][0-9]* dotdot=[1-9][0-9]*$'
		if [ $conn = yes ]; then
			fh_match "$base" export.connectable '^ok same-inode=yes read=same path=/fh.dir/fh.sub/deep dot=[2-9][0-9]* dotdot=[1-9][0-9]*$'
			fh_match "$base" export.bad-parent '^errno=ESTALE dot=[2-9][0-9]* dotdot=0$'
		else
			fh_match "$base" export.connectable '^ok same-inode=yes read=same dot=[1-9][0-9]* dotdot=0$'
		fi
		for rc in deleted generation-file generation-dir nodeid; do
			fh_match "$base" export.$rc '^errno=ESTALE dot=[1-9][0-9]* dotdot=0$'
		done
		fh_match "$base" export.root '^ok same-inode=yes dir-entries=4 path=/ dot=0 dotdot=0$'
	done
	t_expect_files_eq "fhandle export output, stock fuse (-) vs fuse2pt (+)" \
		"$FH_OUT/export.fuse" "$FH_OUT/export.fuse2pt"
	t_pass
	if [ $conn = no ]; then
		t_start export-connectable
		t_skip "$(uname -r) has no AT_HANDLE_CONNECTABLE (name_to_handle_at: $(sed -n 's/^export.encode-connectable: //p' "$FH_OUT/export.fuse2pt")): a connectable handle cannot be asked to open connected, so fh_to_parent is not reached (a hand-made 0x82 handle was opened by its object part instead)"
	fi
}

fh_test passthrough_ll rw
fh_test passthrough rw
fh_test hello_ll ro
fh_noexport
fh_export
