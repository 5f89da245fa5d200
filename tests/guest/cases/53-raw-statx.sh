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
	statx) printf '%s\n' "$EXPECT_STATX" ;;
	statx-enosys) printf '%s\n' "$EXPECT_ENOSYS" ;;
	esac | grep -v '^#' > "$want"
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
		t_skip "stock fuse of $(uname -r) never sends FUSE_STATX (protocol 7.39, Linux 6.6): no reference; fuse2pt's results were checked against the expected ones"
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

# What any correct kernel gives (checked against stock 6.12 and 7.3); lines
# starting with # are comments.
read -r -d '' EXPECT_STATX <<'EOF'
# d: nothing asked yet, cache only: no btime.  x: STATX; x, s: cached,
# btime shown even unasked; f: STATX again; F: GETATTR, no btime (stock too)
sx-good d: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=20 attr=0 mtime=1700000000.000000000 btime=-
sx-good x: mask=0xfff mode=100644 nlink=1 size=0 blocks=0 ino=20 attr=0 mtime=1700000000.000000000 btime=1699999000.123456789
sx-good x: mask=0xfff mode=100644 nlink=1 size=0 blocks=0 ino=20 attr=0 mtime=1700000000.000000000 btime=1699999000.123456789
sx-good s: mask=0xfff mode=100644 nlink=1 size=0 blocks=0 ino=20 attr=0 mtime=1700000000.000000000 btime=1699999000.123456789
sx-good f: mask=0xfff mode=100644 nlink=1 size=0 blocks=0 ino=20 attr=0 mtime=1700000000.000000000 btime=1699999000.123456789
sx-good F: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=20 attr=0 mtime=1700000000.000000000 btime=-
sx-good x: mask=0xfff mode=100644 nlink=1 size=0 blocks=0 ino=20 attr=0 mtime=1700000000.000000000 btime=1699999000.123456789
# a short answer: EIO each time (the write gets EINVAL); basic stats work
sx-short d: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=21 attr=0 mtime=1700000000.000000000 btime=-
sx-short x: err=EIO
sx-short x: err=EIO
sx-short s: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=21 attr=0 mtime=1700000000.000000000 btime=-
sx-short f: err=EIO
sx-short F: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=21 attr=0 mtime=1700000000.000000000 btime=-
sx-short x: err=EIO
# impossible type, then a type change: EIO, the inode is bad; each walk
# looks the name up again (LOOKUP 5) and gets a fresh inode
sx-mode-fmt d: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=22 attr=0 mtime=1700000000.000000000 btime=-
sx-mode-fmt x: err=EIO
sx-mode-fmt x: err=EIO
sx-mode-fmt s: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=22 attr=0 mtime=1700000000.000000000 btime=-
sx-mode-fmt f: err=EIO
sx-mode-fmt F: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=22 attr=0 mtime=1700000000.000000000 btime=-
sx-mode-fmt x: err=EIO
sx-type d: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=23 attr=0 mtime=1700000000.000000000 btime=-
sx-type x: err=EIO
sx-type x: err=EIO
sx-type s: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=23 attr=0 mtime=1700000000.000000000 btime=-
sx-type f: err=EIO
sx-type F: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=23 attr=0 mtime=1700000000.000000000 btime=-
sx-type x: err=EIO
# btime nanoseconds past 999999999: cut to 999999999
sx-nsec d: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=24 attr=0 mtime=1700000000.000000000 btime=-
sx-nsec x: mask=0xfff mode=100644 nlink=1 size=0 blocks=0 ino=24 attr=0 mtime=1700000000.000000000 btime=1699999000.999999999
sx-nsec x: mask=0xfff mode=100644 nlink=1 size=0 blocks=0 ino=24 attr=0 mtime=1700000000.000000000 btime=1699999000.999999999
sx-nsec s: mask=0xfff mode=100644 nlink=1 size=0 blocks=0 ino=24 attr=0 mtime=1700000000.000000000 btime=1699999000.999999999
sx-nsec f: mask=0xfff mode=100644 nlink=1 size=0 blocks=0 ino=24 attr=0 mtime=1700000000.000000000 btime=1699999000.999999999
sx-nsec F: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=24 attr=0 mtime=1700000000.000000000 btime=-
sx-nsec x: mask=0xfff mode=100644 nlink=1 size=0 blocks=0 ino=24 attr=0 mtime=1700000000.000000000 btime=1699999000.999999999
# no BTIME in the mask: no btime, but known to be missing (no more STATX)
sx-nobtime d: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=25 attr=0 mtime=1700000000.000000000 btime=-
sx-nobtime x: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=25 attr=0 mtime=1700000000.000000000 btime=-
sx-nobtime x: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=25 attr=0 mtime=1700000000.000000000 btime=-
sx-nobtime s: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=25 attr=0 mtime=1700000000.000000000 btime=-
sx-nobtime f: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=25 attr=0 mtime=1700000000.000000000 btime=-
sx-nobtime F: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=25 attr=0 mtime=1700000000.000000000 btime=-
sx-nobtime x: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=25 attr=0 mtime=1700000000.000000000 btime=-
# not all basic stats: shown as they came, mask and all, but not cached:
# each x asks again, s shows the cached attributes
sx-partial d: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=26 attr=0 mtime=1700000000.000000000 btime=-
sx-partial x: mask=0xa03 mode=100644 nlink=9 size=4242 blocks=0 ino=26 attr=0 mtime=1700000000.000000000 btime=1699999000.123456789
sx-partial x: mask=0xa03 mode=100644 nlink=9 size=4242 blocks=0 ino=26 attr=0 mtime=1700000000.000000000 btime=1699999000.123456789
sx-partial s: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=26 attr=0 mtime=1700000000.000000000 btime=-
sx-partial f: mask=0xa03 mode=100644 nlink=9 size=4242 blocks=0 ino=26 attr=0 mtime=1700000000.000000000 btime=1699999000.123456789
sx-partial F: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=26 attr=0 mtime=1700000000.000000000 btime=-
sx-partial x: mask=0xa03 mode=100644 nlink=9 size=4242 blocks=0 ino=26 attr=0 mtime=1700000000.000000000 btime=1699999000.123456789
# bits never asked for, in the mask and attributes: left out
sx-extra d: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=27 attr=0 mtime=1700000000.000000000 btime=-
sx-extra x: mask=0xfff mode=100644 nlink=1 size=0 blocks=0 ino=27 attr=0 mtime=1700000000.000000000 btime=1699999000.123456789
sx-extra x: mask=0xfff mode=100644 nlink=1 size=0 blocks=0 ino=27 attr=0 mtime=1700000000.000000000 btime=1699999000.123456789
sx-extra s: mask=0xfff mode=100644 nlink=1 size=0 blocks=0 ino=27 attr=0 mtime=1700000000.000000000 btime=1699999000.123456789
sx-extra f: mask=0xfff mode=100644 nlink=1 size=0 blocks=0 ino=27 attr=0 mtime=1700000000.000000000 btime=1699999000.123456789
sx-extra F: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=27 attr=0 mtime=1700000000.000000000 btime=-
sx-extra x: mask=0xfff mode=100644 nlink=1 size=0 blocks=0 ino=27 attr=0 mtime=1700000000.000000000 btime=1699999000.123456789
statxop: rc=0
# %w %W of all files (coreutils stat asks for btime)
sx-good 2023-11-14 21:56:40.123456789 +0000 1699999000
stat: cannot statx 'sx-short': Input/output error
stat: cannot statx 'sx-mode-fmt': Input/output error
stat: cannot statx 'sx-type': Input/output error
sx-nsec 2023-11-14 21:56:40.999999999 +0000 1699999000
sx-nobtime - 0
sx-partial 2023-11-14 21:56:40.123456789 +0000 1699999000
sx-extra 2023-11-14 21:56:40.123456789 +0000 1699999000
stat: rc=1
# the server's side: every STATX (the first is t_mount's stat of the root)
server: statx 1 sx_mask=0xfff sx_flags=0 getattr_flags=0
server: statx 20 sx_mask=0xfff sx_flags=0 getattr_flags=0
server: statx 20 sx_mask=0xfff sx_flags=0 getattr_flags=0
server: statx 21 sx_mask=0xfff sx_flags=0 getattr_flags=0
server: bad-write statx-short: rejected EINVAL
server: statx 21 sx_mask=0xfff sx_flags=0 getattr_flags=0
server: bad-write statx-short: rejected EINVAL
server: statx 21 sx_mask=0xfff sx_flags=0 getattr_flags=0
server: bad-write statx-short: rejected EINVAL
server: statx 21 sx_mask=0xfff sx_flags=0 getattr_flags=0
server: bad-write statx-short: rejected EINVAL
server: statx 22 sx_mask=0xfff sx_flags=0 getattr_flags=0
server: statx 22 sx_mask=0xfff sx_flags=0 getattr_flags=0
server: statx 22 sx_mask=0xfff sx_flags=0 getattr_flags=0
server: statx 22 sx_mask=0xfff sx_flags=0 getattr_flags=0
server: statx 23 sx_mask=0xfff sx_flags=0 getattr_flags=0
server: statx 23 sx_mask=0xfff sx_flags=0 getattr_flags=0
server: statx 23 sx_mask=0xfff sx_flags=0 getattr_flags=0
server: statx 23 sx_mask=0xfff sx_flags=0 getattr_flags=0
server: statx 24 sx_mask=0xfff sx_flags=0 getattr_flags=0
server: statx 24 sx_mask=0xfff sx_flags=0 getattr_flags=0
server: statx 25 sx_mask=0xfff sx_flags=0 getattr_flags=0
server: statx 25 sx_mask=0xfff sx_flags=0 getattr_flags=0
server: statx 26 sx_mask=0xfff sx_flags=0 getattr_flags=0
server: statx 26 sx_mask=0xfff sx_flags=0 getattr_flags=0
server: statx 26 sx_mask=0xfff sx_flags=0 getattr_flags=0
server: statx 26 sx_mask=0xfff sx_flags=0 getattr_flags=0
server: statx 27 sx_mask=0xfff sx_flags=0 getattr_flags=0
server: statx 27 sx_mask=0xfff sx_flags=0 getattr_flags=0
server: statx 21 sx_mask=0xfff sx_flags=0 getattr_flags=0
server: bad-write statx-short: rejected EINVAL
server: statx 22 sx_mask=0xfff sx_flags=0 getattr_flags=0
server: statx 23 sx_mask=0xfff sx_flags=0 getattr_flags=0
server: statx 26 sx_mask=0xfff sx_flags=0 getattr_flags=0
server: count-sx sx-good LOOKUP 1 GETATTR 1 STATX 2
server: count-sx sx-short LOOKUP 1 GETATTR 1 STATX 5
server: count-sx sx-mode-fmt LOOKUP 5 GETATTR 1 STATX 5
server: count-sx sx-type LOOKUP 5 GETATTR 1 STATX 5
server: count-sx sx-nsec LOOKUP 1 GETATTR 1 STATX 2
server: count-sx sx-nobtime LOOKUP 1 GETATTR 1 STATX 2
server: count-sx sx-partial LOOKUP 1 GETATTR 1 STATX 5
server: count-sx sx-extra LOOKUP 1 GETATTR 1 STATX 2
EOF

read -r -d '' EXPECT_ENOSYS <<'EOF'
# ENOSYS to the first STATX (of sx-good): the same stat falls back to the
# cache; no STATX after it, for any file; forced stats send GETATTR
sx-good d: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=20 attr=0 mtime=1700000000.000000000 btime=-
sx-good x: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=20 attr=0 mtime=1700000000.000000000 btime=-
sx-good x: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=20 attr=0 mtime=1700000000.000000000 btime=-
sx-good s: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=20 attr=0 mtime=1700000000.000000000 btime=-
sx-good f: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=20 attr=0 mtime=1700000000.000000000 btime=-
sx-good F: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=20 attr=0 mtime=1700000000.000000000 btime=-
sx-good x: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=20 attr=0 mtime=1700000000.000000000 btime=-
sx-nsec d: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=24 attr=0 mtime=1700000000.000000000 btime=-
sx-nsec x: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=24 attr=0 mtime=1700000000.000000000 btime=-
sx-nsec x: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=24 attr=0 mtime=1700000000.000000000 btime=-
sx-nsec s: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=24 attr=0 mtime=1700000000.000000000 btime=-
sx-nsec f: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=24 attr=0 mtime=1700000000.000000000 btime=-
sx-nsec F: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=24 attr=0 mtime=1700000000.000000000 btime=-
sx-nsec x: mask=0x7ff mode=100644 nlink=1 size=0 blocks=0 ino=24 attr=0 mtime=1700000000.000000000 btime=-
statxop: rc=0
# %w %W of all files (coreutils stat asks for btime)
sx-good - 0
sx-nsec - 0
stat: rc=0
server: statx 1 sx_mask=0xfff sx_flags=0 getattr_flags=0
server: statx 20 sx_mask=0xfff sx_flags=0 getattr_flags=0
server: count-sx sx-good LOOKUP 1 GETATTR 2 STATX 1
server: count-sx sx-nsec LOOKUP 1 GETATTR 2 STATX 0
EOF

sx_case statx "$SX_FILES"
sx_case statx-enosys "sx-good sx-nsec"
