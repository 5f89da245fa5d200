#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# FUSE_STATX (protocol 7.39, issue 3): a stat() asking for the birth time
# sends STATX instead of GETATTR, until the server answers ENOSYS; the
# answer is untrusted.  rawbad (tests/servers/rawbad.c, hidden modes
# "statx" and "statx-enosys") serves eight files, each answering STATX
# its own way:
#
#   sx-good      right, with a btime        sx-nsec     btime nsec 1.5e9
#   sx-short     16 bytes short             sx-nobtime  mask without BTIME
#   sx-mode-fmt  file type S_IFMT           sx-partial  mask: type, mode,
#   sx-type      a directory, for a file                size, btime only
#   sx-extra     mask and stx_attributes all ones
#
# On each file statxop (tests/servers/statxop.c) makes, in one process,
# the calls "dxxsfFx" (d: cached only, x: basic stats + btime, s: basic
# stats, f/F: the same forced to ask the server), then coreutils stat
# prints %w %W of all of them.  The server logs every STATX it gets and
# counts LOOKUP, GETATTR and STATX per file, so the results prove when
# STATX was sent: for btime, once per inode while the attributes are
# valid, again when forced, never after ENOSYS, and never for a stat
# that does not want btime.
#
# The results, user side and server side, must be exactly those below
# (EXPECT_*), on fuse2pt on every kernel, and on stock fuse where it has
# STATX (6.6 and later); stock 6.1 speaks 7.38 and never sends STATX, so
# its reference run is skipped there.  fuse2pt and stock are also
# compared with each other directly.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

SX_FILES="sx-good sx-short sx-mode-fmt sx-type sx-nsec sx-nobtime sx-partial sx-extra"
SX_OPS=dxxsfFx
SX_TIMEOUT=30	# below the guest's hung-task timeout

# sx_run KIND MODE FILES: mount rawbad MODE, run the calls on FILES,
# umount; the results go to $T_WORK/sx-KIND-MODE.res.
sx_run() {
	local k=$1 mode=$2 files=$3 mnt=$T_WORK/mnt/sx-$1 res log f paths=()
	res=$T_WORK/sx-$k-$mode.res
	log=$T_WORK/logs/$k-rawbad-sx-$k.log
	rm -f "$res"
	t_mount "$k" "$mnt" rawbad "$mode" || return 1
	for f in $files; do paths+=("$mnt/$f"); done
	{
		timeout -s KILL "$SX_TIMEOUT" "$T_BIN/statxop" "$SX_OPS" "${paths[@]}" 2>&1
		echo "statxop: rc=$?"
		# %w/%W ask for btime; a file whose STATX fails says so on stderr
		timeout -s KILL "$SX_TIMEOUT" stat -c '%n %w %W' "${paths[@]}" 2>&1 |
			sed "s|$mnt/||g"
		echo "stat: rc=${PIPESTATUS[0]}"
	} > "$res"
	t_umount "$mnt" || return 1
	grep -E '^rawbad: (statx|count-sx|bad-write) ' "$log" |
		sed 's/^rawbad: /server: /' >> "$res"
}

# sx_expect KIND MODE: the results of KIND's run must be EXPECT_MODE
sx_expect() {
	local want=$T_WORK/sx-expect-$2
	case $2 in
	statx) printf '%s\n' "$EXPECT_STATX" > "$want" ;;
	statx-enosys) printf '%s\n' "$EXPECT_ENOSYS" > "$want" ;;
	esac
	t_expect_files_eq "$1 $2: results against the expected ones" \
		"$want" "$T_WORK/sx-$1-$2.res"
}

sx_stock_has_statx() {
	[ -c /dev/fuse ] || modprobe fuse 2>/dev/null
	[ -c /dev/fuse ] && grep -qw fuse /proc/filesystems && t_kernel_at_least 6.6
}

sx_case() {	# MODE FILES
	local mode=$1 files=$2
	t_start "$mode"
	t_need_bin statxop && t_need_bin rawbad || { t_pass; return; }
	if sx_run fuse2pt "$mode" "$files"; then
		sx_expect fuse2pt "$mode"
	fi
	t_note "fuse2pt results:"
	sed 's/^/  |   /' "$T_WORK/sx-fuse2pt-$mode.res" 2>/dev/null
	t_pass

	t_start "$mode-stock"
	if ! t_kernel_at_least 6.6; then
		t_skip "stock fuse of $(uname -r) speaks protocol 7.38 and never sends FUSE_STATX (it came in 6.6): no reference; fuse2pt's results were checked against the expected ones"
		return
	fi
	if ! sx_stock_has_statx; then
		t_fail "stock fuse is missing: nothing to compare with"
		return
	fi
	if sx_run fuse "$mode" "$files"; then
		sx_expect fuse "$mode"
		[ -f "$T_WORK/sx-fuse2pt-$mode.res" ] &&
			t_expect_files_eq "fuse2pt against stock fuse" \
				"$T_WORK/sx-fuse-$mode.res" "$T_WORK/sx-fuse2pt-$mode.res"
	fi
	t_pass
}

# shellcheck disable=SC2016
EXPECT_STATX='TO BE FILLED'
EXPECT_ENOSYS='TO BE FILLED'

sx_case statx "$SX_FILES"
sx_case statx-enosys sx-good
