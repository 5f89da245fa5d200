# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers for guest test cases (tests/guest/cases/*.sh).  A case file is a
# bash script that sources this file and runs one or more tests:
#
#   t_start NAME            begin test CASE:NAME (ends an open test first)
#   t_check DESC CMD...     run CMD; a non-zero status fails the test
#   t_check_fails DESC CMD...   CMD must fail
#   t_expect_eq DESC GOT WANT   strings must be equal
#   t_expect_files_eq DESC A B  files must be equal (diff shown on failure)
#   t_pass                  end the test: passes unless a check failed
#   t_fail REASON           end the test as failed
#   t_skip REASON           end the test as skipped (printed loudly)
#   t_die REASON            fail the open test and end the case
#   t_note TEXT             a line on the console
#
# Mounting (TYPE is fuse2pt or fuse; kernel options in $T_MOUNT_OPTS):
#   t_mount TYPE MNT PROG [ARGS...]  start PROG via fuse2pt-mount in the
#                           background, wait for the mount; sets T_SRV_PID
#   t_umount MNT            umount, then the server must exit (status 0)
#                           within $T_SRV_EXIT_TIMEOUT seconds
#   t_need_module / t_need_bin NAME   fail the test when missing
#
# Results are lines "RESULT PASS|FAIL|SKIP CASE:TEST [reason]" written to
# $T_RESULTS (the guest's ttyS1), which the host counts.

T_BIN=/opt/fuse2pt/bin
T_LIB=/opt/fuse2pt/lib
T_MOD=/opt/fuse2pt/mod/fuse2pt.ko
T_RESULTS=${T_RESULTS:-/dev/ttyS1}
T_CASE=${T_CASE:-$(basename "$0" .sh)}
T_WORK=${T_WORK:-/tmp/t}		# per-case scratch, mount points below $T_WORK/mnt
T_SRC=${T_SRC:-/tmp/src}		# t_make_tree's tmpfs
T_SRV_EXIT_TIMEOUT=${T_SRV_EXIT_TIMEOUT:-20}
T_MOUNT_TIMEOUT=${T_MOUNT_TIMEOUT:-20}
export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$T_LIB

mkdir -p "$T_WORK/mnt" "$T_WORK/logs"

_t_name=""
_t_reason=""
_t_nfail=0
declare -A _t_srv_pid=() _t_srv_log=()

t_note() { printf '  | %s\n' "$*"; }

_t_emit() {	# STATUS NAME [REASON...]
	local st=$1 name=$2 line
	shift 2
	line="RESULT $st $T_CASE:$name${*:+ $*}"
	line=${line//$'\n'/ }
	printf '%s\n' "$line" >> "$T_RESULTS"
	printf '%s\n' "$line" >> "$T_WORK/results"
	case $st in
	PASS) printf '  PASS %s\n' "$T_CASE:$name" ;;
	FAIL) printf '  FAIL %s: %s\n' "$T_CASE:$name" "$*" ;;
	SKIP) printf '\n  !!!!!!!! SKIPPED %s: %s !!!!!!!!\n\n' "$T_CASE:$name" "$*" ;;
	esac
}

_t_mark_fail() {
	printf '  ! %s\n' "$*"
	[ -n "$_t_reason" ] || _t_reason="$*"
}

t_start() {
	[ -n "$_t_name" ] && t_pass
	_t_name=$1
	_t_reason=""
	printf '=== %s:%s\n' "$T_CASE" "$1"
}

# t_selected NAME: whether subtest NAME is in FUSE2PT_SUB (a glob over
# subtest names, from f2ptest.sub=; run.sh's FUSE2PT_SUB) for the cases
# that are split this way; one not selected says so on the console.
t_selected() {
	[[ $1 == ${FUSE2PT_SUB:-*} ]] && return 0
	printf -- '--- %s:%s not run: not selected by FUSE2PT_SUB=%s\n' \
		"$T_CASE" "$1" "$FUSE2PT_SUB"
	return 1
}

_t_need_open() { [ -n "$_t_name" ] || t_start "${1:-unnamed}"; }

t_pass() {
	[ -n "$_t_name" ] || return 0
	if [ -n "$_t_reason" ]; then
		_t_emit FAIL "$_t_name" "$_t_reason"
		_t_nfail=$((_t_nfail + 1))
	else
		_t_emit PASS "$_t_name"
	fi
	_t_name=""; _t_reason=""
}

t_fail() {
	_t_need_open
	_t_mark_fail "$*"
	t_pass
	return 1
}

t_skip() {
	_t_need_open
	if [ -n "$_t_reason" ]; then	# a failure before the skip still counts
		t_pass
		return 0
	fi
	_t_emit SKIP "$_t_name" "$*"
	_t_name=""; _t_reason=""
}

t_die() {
	_t_need_open
	_t_mark_fail "$*"
	t_pass
	exit 1
}

t_check() {
	local desc=$1 rc=0
	shift
	_t_need_open
	"$@" || rc=$?
	[ $rc = 0 ] || _t_mark_fail "$desc (status $rc: $*)"
	return $rc
}

t_check_fails() {
	local desc=$1 rc=0
	shift
	_t_need_open
	"$@" || rc=$?
	[ $rc != 0 ] || { _t_mark_fail "$desc (unexpectedly succeeded: $*)"; return 1; }
	return 0
}

t_expect_eq() {
	_t_need_open
	if [ "$2" != "$3" ]; then
		_t_mark_fail "$1: got '$2', want '$3'"
		return 1
	fi
}

t_expect_files_eq() {
	_t_need_open
	if ! cmp -s "$2" "$3"; then
		_t_mark_fail "$1: $2 and $3 differ"
		diff -u "$2" "$3" | head -n 60
		return 1
	fi
}

t_module_loaded() { grep -q '^fuse2pt ' /proc/modules; }

# t_kernel_at_least VER: the running kernel is VER (e.g. 6.9) or newer
t_kernel_at_least() {
	[ "$(printf '%s\n%s\n' "$(uname -r | cut -d- -f1)" "$1" | sort -V | head -n1)" = "$1" ]
}

t_need_module() {
	_t_need_open
	t_module_loaded && [ -c /dev/fuse2pt ] && return 0
	if [ ! -e "$T_MOD" ]; then
		_t_mark_fail "fuse2pt module missing (no fuse2pt.ko was built for this kernel)"
	else
		_t_mark_fail "fuse2pt module not loaded (or /dev/fuse2pt missing)"
	fi
	return 1
}

t_need_bin() {
	_t_need_open
	[ -x "$T_BIN/$1" ] && return 0
	_t_mark_fail "test program $1 missing (not built; see the host's build log)"
	return 1
}

# Under emulation every exec costs ~45 ms of guest CPU, and the polling
# below runs thousands of times a kernel, beside the servers it waits
# for: it uses bash alone.  t_nap SECONDS sleeps without an exec, in a
# read with a timeout on a pipe that never has data (this shell holds
# both of its ends, so it never reaches end of file either).
exec {_t_nap_fd}<> <(:)
t_nap() { read -r -t "$1" -u "$_t_nap_fd" _ 2> /dev/null; return 0; }

# t_tmpfs_odirect: does a tmpfs take O_DIRECT opens on this kernel?
t_tmpfs_odirect() {
	local d=$T_WORK/odtest rc=0
	mkdir -p "$d"
	mount -t tmpfs -o size=1m odtest "$d" || return 1
	dd if=/dev/zero of="$d/f" bs=4096 count=1 oflag=direct status=none 2> /dev/null || rc=1
	umount "$d"
	return $rc
}

# A scratch ext4 for what tmpfs cannot do (O_DIRECT before 6.6): the image
# carries the kernel's ext4 and loop modules and the host's mke2fs
# (tests/lib/build.sh stage_ext4).
T_EXT4=/opt/fuse2pt/ext4

# t_ext4_ready: the modules loaded, each after what it needs (the
# image's order file); fails when this guest cannot make an ext4.
t_ext4_ready() {
	local m
	if ! grep -qw ext4 /proc/filesystems || [ ! -e /dev/loop-control ]; then
		while read -r m; do
			[ -e "$T_EXT4/mod/$m.ko" ] || continue
			grep -q "^$(echo "$m" | tr - _) " /proc/modules && continue
			insmod "$T_EXT4/mod/$m.ko"
		done < "$T_EXT4/order"
	fi
	grep -qw ext4 /proc/filesystems && [ -x "$T_EXT4/bin/mke2fs" ] &&
		{ [ -e /dev/loop-control ] || t_wait_for 3 test -e /dev/loop-control; }
}

# t_ext4_mount DIR MB [OPTS]: a fresh, empty ext4 of MB MiB at DIR, on a
# loop device over a file in the guest's memory.  The file is unlinked
# once attached: umount DIR detaches the loop device and frees it.
t_ext4_mount() {
	local dir=$1 img
	img=$T_WORK/ext4-$$-${RANDOM}.img
	t_ext4_ready || { echo "t_ext4_mount: no ext4 in this guest" >&2; return 1; }
	truncate -s "${2}m" "$img" &&
	LD_LIBRARY_PATH=$T_EXT4/lib MKE2FS_CONFIG=$T_EXT4/mke2fs.conf \
		"$T_EXT4/bin/mke2fs" -q -F -t ext4 -E lazy_itable_init=0,lazy_journal_init=0 \
		"$img" > /dev/null &&
	mkdir -p "$dir" &&
	mount -o "loop${3:+,$3}" "$img" "$dir" || { rm -f "$img"; return 1; }
	rm -f "$img"
	rmdir "$dir/lost+found"
	chmod 755 "$dir"
}

# t_odirect_mount DIR MB NAME: a fresh, empty filesystem at DIR whose files
# take O_DIRECT: a tmpfs named NAME where tmpfs does (6.6 on), else ext4.
# T_ODFS says which.
t_odirect_mount() {
	if t_tmpfs_odirect; then
		T_ODFS=tmpfs
		mount -t tmpfs -o "size=${2}m,mode=755" "$3" "$1"
	else
		T_ODFS=ext4
		t_ext4_mount "$1" "$2"
	fi
}

# t_wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
t_wait_for() {
	local n=$(( $1 * 10 ))
	shift
	while ! "$@"; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		t_nap 0.1
	done
}

# _t_fstype MNT: T_FSTYPE is the type of the mount at MNT (the last one
# there wins), empty when nothing is mounted there
_t_fstype() {
	local dev m t rest
	T_FSTYPE=""
	while read -r dev m t rest; do
		[ "$m" = "$1" ] && T_FSTYPE=$t
	done < /proc/mounts
	return 0
}

t_mount_type() { _t_fstype "$1"; echo "$T_FSTYPE"; }	# MNT -> fstype

t_is_mounted() { _t_fstype "$1"; [ -n "$T_FSTYPE" ]; }

t_mount() {
	local type=$1 mnt=$2 prog=$3 log name pid err
	shift 3
	_t_need_open
	t_need_bin fuse2pt-mount || return 1
	case $prog in /*) ;; *) prog=$T_BIN/$prog ;; esac
	[ -x "$prog" ] || { _t_mark_fail "server $prog missing (not built?)"; return 1; }
	if [ "$type" = fuse2pt ]; then t_need_module || return 1; fi
	mkdir -p "$mnt"
	name=$(basename "$prog")
	log=$T_WORK/logs/$type-$name-$(basename "$mnt").log
	t_note "mount: fuse2pt-mount -t $type ${T_MOUNT_OPTS:+-o $T_MOUNT_OPTS }$mnt $prog $*"
	if [ -n "${T_MOUNT_OPTS:-}" ]; then
		"$T_BIN/fuse2pt-mount" -t "$type" -o "$T_MOUNT_OPTS" "$mnt" "$prog" "$@" > "$log" 2>&1 &
	else
		"$T_BIN/fuse2pt-mount" -t "$type" "$mnt" "$prog" "$@" > "$log" 2>&1 &
	fi
	pid=$!
	_t_srv_pid[$mnt]=$pid
	_t_srv_log[$mnt]=$log
	T_SRV_PID=$pid
	if ! t_wait_for "$T_MOUNT_TIMEOUT" _t_mounted_as "$mnt" "$type" "$pid"; then
		if t_is_mounted "$mnt"; then
			_t_mark_fail "mount of $name on $mnt has type $(t_mount_type "$mnt"), want $type.$name"
		else
			_t_mark_fail "mounting $name ($type) on $mnt failed: $(tail -n 3 "$log" | tr '\n' ' ')"
		fi
		cat "$log"
		_t_mount_failed "$mnt"
		return 1
	fi
	# The mount exists before the server ran; make sure it answers.
	if ! err=$(timeout 30 stat "$mnt" 2>&1 > /dev/null); then
		sleep 0.5
		_t_mark_fail "stat $mnt failed after mounting $name ($type): ${err##*: }; server log: $(tail -n 3 "$log" | tr '\n' ' ')"
		cat "$log"
		_t_mount_failed "$mnt"
		return 1
	fi
}

# A mount that failed leaves nothing behind for the tests after it.
_t_mount_failed() {
	local mnt=$1 pid=${_t_srv_pid[$1]:-}
	t_is_mounted "$mnt" && timeout 20 umount -l "$mnt"
	if [ -n "$pid" ]; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		unset "_t_srv_pid[$mnt]"
	fi
}

_t_mounted_as() {	# MNT TYPE PID
	_t_fstype "$1"
	case $T_FSTYPE in "$2"|"$2".*) return 0 ;; esac
	kill -0 "$3" 2>/dev/null || return 1
	return 1
}

t_umount() {
	local mnt=$1 pid=${_t_srv_pid[$1]:-} log=${_t_srv_log[$1]:-} rc=0 st
	_t_need_open
	if ! timeout 60 umount "$mnt"; then
		_t_mark_fail "umount $mnt failed"
		rc=1
	fi
	[ -n "$pid" ] || return $rc
	if ! t_wait_for "$T_SRV_EXIT_TIMEOUT" _t_gone "$pid"; then
		_t_mark_fail "server for $mnt (pid $pid) did not exit within ${T_SRV_EXIT_TIMEOUT}s after umount"
		kill -KILL "$pid" 2>/dev/null
		rc=1
	fi
	st=0
	wait "$pid" 2>/dev/null || st=$?
	if [ $rc = 0 ] && [ $st != 0 ]; then
		_t_mark_fail "server for $mnt exited with status $st"
		[ -n "$log" ] && tail -n 20 "$log"
		rc=1
	fi
	unset "_t_srv_pid[$mnt]"
	return $rc
}

_t_gone() {	# PID: exited (a zombie counts)
	# The whole file in one read: a loop left early would leave the rest
	# in bash's input buffer for the shell's next read of another file.
	local s=""
	read -r -d '' s 2> /dev/null < "/proc/$1/status" || [ -n "$s" ] || return 0
	[[ $s == *$'\nState:\tZ'* ]]
}

# Leave nothing behind when a case ends early: lazy umount of our mounts,
# kill their servers.  The runner still reports what it finds.
_t_cleanup() {
	local m
	for m in "${!_t_srv_pid[@]}"; do
		t_is_mounted "$m" && umount -l "$m" 2>/dev/null
		kill -KILL "${_t_srv_pid[$m]}" 2>/dev/null
	done
	if mountpoint -q "$T_SRC" 2>/dev/null; then umount -l "$T_SRC"; fi
}

_t_exit() {
	local rc=$?
	trap - EXIT
	if [ -n "$_t_name" ]; then
		[ $rc = 0 ] || _t_mark_fail "case script exited with status $rc"
		t_pass
	fi
	_t_cleanup
	[ $_t_nfail = 0 ] && exit 0
	exit 1
}
trap _t_exit EXIT
trap '_t_mark_fail "killed (case timed out)"; exit 124' TERM

# --- trees and snapshots for the passthrough cases ---

# t_make_tree DIR: a fresh tmpfs (noatime, so reads through FUSE do not
# change what later comparisons see) with nested directories, files of
# many sizes (0 .. >1 MiB) with random content, a symlink, a dangling
# symlink, a 0600 file, a hard link.
t_make_tree() {
	local d=$1
	mkdir -p "$d"
	mount -t tmpfs -o noatime,size=256m,mode=755 src "$d" || return 1
	mkdir -p "$d/a/b/c" "$d/empty-dir" "$d/dir with space"
	local s
	for s in 0 1 100 4095 4096 4097 65537 131072 1048576 1048593 3145728; do
		head -c "$s" /dev/urandom > "$d/f$s"
	done
	head -c 5000 /dev/urandom > "$d/a/nested"
	head -c 123457 /dev/urandom > "$d/a/b/deeper"
	head -c 77 /dev/urandom > "$d/a/b/c/deepest"
	: > "$d/a/b/c/empty"
	echo "hello from a file with spaces" > "$d/dir with space/file name"
	echo secret > "$d/private" && chmod 0600 "$d/private"
	echo "run me" > "$d/exec" && chmod 0755 "$d/exec"
	chmod 0700 "$d/a/b"
	ln -s f4096 "$d/link-rel"
	ln -s /tmp/t/does/not/exist "$d/link-dangling"
	ln -s ../../f100 "$d/a/b/link-up"
	ln "$d/f65537" "$d/a/hardlink"
	chown 1000:1001 "$d/f100"
	chown 2000:2000 "$d/a/nested"
	touch -d '2001-02-03 04:05:06.789' "$d/f1"
	touch -h -d '2011-12-13 14:15:16' "$d/link-rel"
}

# t_snapshot DIR OUT: everything observable about the tree at DIR, as
# text files in OUT/ (paths relative to DIR).  Fields whose value depends
# on the mount (st_dev) are left out.
t_snapshot() {
	local dir=$1 out=$2
	mkdir -p "$out"
	(
	cd "$dir" || exit 1
	# ".." of the top directory is outside the tree: leave all ".." out
	ls -lanR --time-style=+%s.%N . 2>&1 | grep -v ' \.\.$' > "$out/ls"
	find . -printf '%y %m %n %U %G %s %T@ %p -> %l\n' 2>&1 | LC_ALL=C sort > "$out/find"
	find . -print0 | LC_ALL=C sort -z |
		xargs -0 stat -c '%n|size=%s|blocks=%b|blksize=%B|ioblk=%o|mode=%f|uid=%u|gid=%g|nlink=%h|ino=%i|atime=%X|mtime=%.9Y|ctime=%.9Z|rdev=%t:%T' \
		> "$out/stat" 2>&1
	stat -f -c 'type=%t|bsize=%s|frsize=%S|blocks=%b|bfree=%f|bavail=%a|files=%c|ffree=%d|namelen=%l' . > "$out/statfs" 2>&1
	find . -type l -print0 | LC_ALL=C sort -z | xargs -0 -r readlink > "$out/readlink" 2>&1
	find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r md5sum > "$out/md5" 2>&1
	du -s --apparent-size . > "$out/du-apparent" 2>&1
	du -s . > "$out/du" 2>&1
	du -a . 2>&1 | LC_ALL=C sort -k2 > "$out/du-all"
	)
}

# t_stat_fields IN FIELDS...: keep only some fields of a snapshot's stat
# file (fields named as in t_snapshot, e.g. size mode uid).
t_stat_fields() {
	local in=$1
	shift
	awk -F'|' -v keep="$*" '
		BEGIN { n = split(keep, k, " "); for (i = 1; i <= n; i++) want[k[i]] = 1 }
		{ line = $1
		  for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] in want) line = line "|" $i }
		  print line }' "$in"
}

# t_cmp_tree SRC MNT: every regular file's content under MNT equals SRC's.
t_cmp_tree() {
	local src=$1 mnt=$2 f bad=0
	while IFS= read -r -d '' f; do
		if ! cmp -s "$src/$f" "$mnt/$f"; then
			_t_mark_fail "content of $f differs between $src and $mnt"
			bad=1
		fi
	done < <(cd "$src" && find . -type f -print0)
	return $bad
}
