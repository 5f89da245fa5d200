#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# What passthrough does, as a server author sees it in the connection
# directory /sys/fs/fuse2pt/connections/N (issue 19 item 4):
#
#   backing_files      the backing ids ptsrv registered and has not closed
#   open_passthrough, open_cached, open_direct
#                      files open now by io mode: up with each open, down
#                      with each close, and back to 0 when a process
#                      holding files is SIGKILLed; a direct-io file mapped
#                      shared moves to cached; PASSTHROUGH|DIRECT_IO is
#                      passthrough
#   passthrough_read_bytes, passthrough_write_bytes
#                      grow by exactly the bytes read and written by read,
#                      write, splice, sendfile and copy_file_range through
#                      passthrough, while ptsrv sees no READ or WRITE; not
#                      by mmap, nor by the READs of a PASSTHROUGH|DIRECT_IO
#                      or cached file
#   passthrough_refused, passthrough_refused_last
#                      one more per refused open, with its reason (unknown
#                      backing id, KEEP_CACHE with PASSTHROUGH, a cached
#                      inode, a passthrough inode, another backing file,
#                      passthrough not negotiated, a backing file that
#                      cannot be opened for writing), while the opener
#                      still gets EIO
#
# Not here: the ELOOP of a backing file whose filesystem grew too deep
# after it was registered (it needs a FUSE mount whose INIT comes after
# the registration).  fuse2pt only: stock fuse has no such files.

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../lifelib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/60-pt.lib"

PT=/opt/fuse2pt/bin/pttool
FILES="backing_files open_passthrough open_cached open_direct passthrough_read_bytes
       passthrough_write_bytes passthrough_refused passthrough_refused_last"

# c NAME: a file of the connection directory $D
c() { cat "$D/$1"; }

# the open files by mode: "PASSTHROUGH CACHED DIRECT"
opens() { echo "$(c open_passthrough) $(c open_cached) $(c open_direct)"; }
opens_are() { [ "$(opens)" = "$1" ]; }

# the backing ids ptsrv holds registered now (after a refresh)
srv_backing() { echo $(( $(ptc_stat backing_open) - $(ptc_stat backing_close) )); }

# backing_files agrees with ptsrv, once its RELEASEs are through
backing_agrees() {
	ptc_stats && [ "$(c backing_files)" = "$(srv_backing)" ] && [ "$(srv_backing)" = "$1" ]
}

# open_as MODE FILE: the result of an open answered in MODE
open_as() {
	ptc_mode "$1"
	ptc_err cat "$2"
}

# grew NAME BEFORE WANT DESC: file NAME is now BEFORE + WANT
grew() {
	t_expect_eq "$4: $1 grew by" "$(( $(c "$1") - $2 ))" "$3"
}

# refused WANT-REASON DESC: one more refusal since $REF0, for that reason
refused() {
	t_expect_eq "$2: passthrough_refused" "$(c passthrough_refused)" "$((REF0 + 1))"
	t_expect_eq "$2: passthrough_refused_last" "$(c passthrough_refused_last)" "$1"
	REF0=$(c passthrough_refused)
}

counters_suite() {
	local m s f holder r0 w0 rw0 n listed
	ptc_source
	for f in a b c d e g h k; do head -c 30000 /dev/urandom > "$T_SRC/$f"; done
	head -c 100000 /dev/urandom > "$T_SRC/f100k"
	t_start mount
	ptc_mount fuse2pt --allow-mmap || return
	ptc_have_pt fuse2pt || { ptc_skip_umount fuse2pt; return; }
	t_check "mount -t fuse2ptctl" life_ctl_mount || { t_umount "$PTC_MNT"; return; }
	D=$(life_conn_dir fuse2pt "$PTC_MNT")
	t_check "$D exists" test -d "$D" || { t_umount "$PTC_MNT"; return; }
	t_pass
	m=$PTC_MNT s=$T_SRC

	t_start files
	listed=" $(cd "$D" && echo *) "
	for f in $FILES; do
		t_check "$f listed" test "${listed/ $f /}" != "$listed"
		t_expect_eq "$f mode" "$(stat -c %a "$D/$f")" 400
	done
	t_expect_eq "backing_files at first" "$(c backing_files)" 0
	t_expect_eq "open files at first" "$(opens)" "0 0 0"
	t_expect_eq "bytes at first" "$(c passthrough_read_bytes) $(c passthrough_write_bytes)" "0 0"
	t_expect_eq "refused at first" "$(c passthrough_refused)" 0
	t_expect_eq "no reason yet: an empty line" \
		"$(wc -c < "$D/passthrough_refused_last") bytes: '$(c passthrough_refused_last)'" "1 bytes: ''"
	t_check_fails "read only" bash -c "echo 1 > '$D/open_cached'"
	t_pass

	t_start open-counts
	ptc_mode pt
	exec 3< "$m/a"
	t_expect_eq "passthrough open" "$(opens)" "1 0 0"
	t_check "backing_files as ptsrv registered (1)" backing_agrees 1
	ptc_mode cached
	exec 4< "$m/b"
	t_expect_eq "cached open" "$(opens)" "1 1 0"
	ptc_mode dio
	exec 5< "$m/c"
	t_expect_eq "direct-io open" "$(opens)" "1 1 1"
	ptc_mode ptdio
	exec 6< "$m/d"
	t_expect_eq "PASSTHROUGH|DIRECT_IO open counts as passthrough" "$(opens)" "2 1 1"
	ptc_mode keep
	exec 7< "$m/e"
	t_expect_eq "KEEP_CACHE open" "$(opens)" "2 2 1"
	ptc_mode pt
	exec 8< "$m/a"
	t_expect_eq "second passthrough open of the same inode" "$(opens)" "3 2 1"
	t_check "backing_files as ptsrv registered (2: a and d)" backing_agrees 2
	exec 3<&- 4<&-
	t_expect_eq "after two closes" "$(opens)" "2 1 1"
	exec 5<&- 6<&- 7<&- 8<&-
	t_expect_eq "after every close" "$(opens)" "0 0 0"
	t_wait_for 5 backing_agrees 0
	t_expect_eq "backing_files once ptsrv closed its ids" "$(c backing_files) $(srv_backing)" "0 0"
	t_pass

	t_start mmap-turns-direct-cached
	ptc_mode dio
	exec 3< "$m/k"
	t_expect_eq "direct-io open" "$(opens)" "0 0 1"
	t_expect_eq "shared mapping of it" "$($PT mmapread fd:3 | md5sum)" "$(md5sum < "$s/k")"
	t_expect_eq "now cached" "$(opens)" "0 1 0"
	exec 3<&-
	t_expect_eq "after close" "$(opens)" "0 0 0"
	t_pass

	t_start sigkill
	ptc_mode pt
	exec 3< "$m/a"
	ptc_mode cached
	exec 4< "$m/b"
	ptc_mode dio
	exec 5< "$m/c"
	ptc_mode ptdio
	exec 6< "$m/d"
	sleep 600 &
	holder=$!
	exec 3<&- 4<&- 5<&- 6<&-
	t_expect_eq "held by another process only" "$(opens)" "2 1 1"
	kill -KILL "$holder"
	wait "$holder" 2>/dev/null
	t_wait_for 5 opens_are "0 0 0"
	t_expect_eq "after its SIGKILL" "$(opens)" "0 0 0"
	t_wait_for 5 backing_agrees 0
	t_expect_eq "backing_files once ptsrv closed its ids" "$(c backing_files) $(srv_backing)" "0 0"
	t_pass

	t_start bytes
	ptc_mode pt
	rw0=$(ptc_rw)
	r0=$(c passthrough_read_bytes) w0=$(c passthrough_write_bytes)
	t_expect_files_eq "read" "$s/f100k" "$m/f100k"
	grew passthrough_read_bytes "$r0" 100000 read
	grew passthrough_write_bytes "$w0" 0 read
	r0=$(c passthrough_read_bytes)
	t_check "write" dd if=/dev/urandom of="$m/w" bs=1000 count=77 status=none
	grew passthrough_write_bytes "$w0" 77000 write
	grew passthrough_read_bytes "$r0" 0 write
	w0=$(c passthrough_write_bytes)
	t_expect_eq "splice read" "$($PT spliceread "$m/f100k" | md5sum)" "$(md5sum < "$s/f100k")"
	grew passthrough_read_bytes "$r0" 100000 "splice read"
	r0=$(c passthrough_read_bytes)
	head -c 30000 /dev/urandom > "$T_WORK/data"
	t_check "splice write" $PT splicewrite "$m/w" 1000 < "$T_WORK/data"
	grew passthrough_write_bytes "$w0" 30000 "splice write"
	w0=$(c passthrough_write_bytes)
	t_check "sendfile" $PT sendfile "$m/f100k" "$m/sent"
	t_expect_files_eq "sent" "$s/f100k" "$s/sent"
	grew passthrough_read_bytes "$r0" 100000 sendfile
	grew passthrough_write_bytes "$w0" 100000 sendfile
	r0=$(c passthrough_read_bytes) w0=$(c passthrough_write_bytes)
	t_expect_eq "copy_file_range" "$($PT copyrange "$m/f100k" "$m/copied")" ok
	t_expect_files_eq "copied" "$s/f100k" "$s/copied"
	grew passthrough_read_bytes "$r0" 100000 copy_file_range
	grew passthrough_write_bytes "$w0" 100000 copy_file_range
	r0=$(c passthrough_read_bytes) w0=$(c passthrough_write_bytes)
	t_expect_eq "mmap read" "$($PT mmapread "$m/f100k" | md5sum)" "$(md5sum < "$s/f100k")"
	grew passthrough_read_bytes "$r0" 0 "mmap (not counted)"
	t_expect_eq "READ/WRITE requests at the server" "$(ptc_rw)" "$rw0"
	# data the server moves is not passthrough's
	ptc_mode ptdio
	t_expect_files_eq "PASSTHROUGH|DIRECT_IO read" "$s/f100k" "$m/f100k"
	grew passthrough_read_bytes "$r0" 0 "PASSTHROUGH|DIRECT_IO read"
	ptc_mode cached
	t_expect_files_eq "cached read" "$s/g" "$m/g"
	grew passthrough_read_bytes "$r0" 0 "cached read"
	ptc_stats
	n=$(ptc_stat read)
	t_check "... whose READs the server saw (${rw0%% *} -> $n)" test "$n" -gt "${rw0%% *}"
	t_pass

	t_start refusals
	REF0=$(c passthrough_refused)
	t_expect_eq "open naming backing id 9999" "$(open_as ptbadid "$m/a")" EIO
	refused "backing id 9999 is not registered" "unknown id"
	t_expect_eq "PASSTHROUGH|KEEP_CACHE open" "$(open_as ptkeep "$m/a")" EIO
	refused "open flags 0x2 may not come with FOPEN_PASSTHROUGH" "KEEP_CACHE"
	ptc_mode cached
	exec 3< "$m/g"
	t_expect_eq "passthrough open of a cached inode" "$(open_as pt "$m/g")" EIO
	refused "the inode is open in cached mode" "cached inode"
	exec 3<&-
	ptc_mode pt
	exec 3< "$m/h"
	t_expect_eq "cached open of a passthrough inode" "$(open_as cached "$m/h")" EIO
	refused "the inode is open in passthrough mode" "passthrough inode, cached open"
	t_expect_eq "direct-io open of a passthrough inode" "$(open_as dio "$m/h")" EIO
	refused "the inode is open in passthrough mode" "passthrough inode, direct-io open"
	t_expect_eq "passthrough open on another backing file" "$(open_as ptnew "$m/h")" EIO
	refused "the inode is open in passthrough mode on another backing file" "another backing file"
	exec 3<&-
	t_expect_eq "a good open" "$(open_as pt "$m/h")" ok
	t_expect_eq "... is no refusal" "$(c passthrough_refused)" "$REF0"
	t_expect_eq "... and leaves the last reason" "$(c passthrough_refused_last)" \
		"the inode is open in passthrough mode on another backing file"
	t_expect_eq "open files after the refusals" "$(opens)" "0 0 0"
	ptc_check_balance
	t_pass

	t_start umount
	t_umount "$PTC_MNT"
	t_pass

	t_start not-negotiated
	if ptc_mount fuse2pt --no-passthrough; then
		D=$(life_conn_dir fuse2pt "$PTC_MNT")
		REF0=0
		t_expect_eq "FOPEN_PASSTHROUGH without passthrough" "$(open_as ptbadid "$m/a")" EIO
		refused "passthrough was not negotiated" "not negotiated"
		t_expect_eq "cached open works" "$(open_as cached "$m/a")" ok
		t_expect_eq "backing_files, open files" "$(c backing_files) $(opens)" "0 0 0 0"
		t_umount "$PTC_MNT"
	fi
	t_pass
}

# the backing filesystem refuses to open the backing file for writing:
# the server serves a read-only bind mount with O_PATH registrations
readonly_suite() {
	local rosrc=$T_WORK/ro-src rom=$T_WORK/mnt/ro
	ptc_source
	head -c 50000 /dev/urandom > "$T_SRC/a"
	mkdir -p "$rosrc"
	t_start backing-open-fails
	t_check "mount -t fuse2ptctl" life_ctl_mount || return
	mount --bind "$T_SRC" "$rosrc" && mount -o remount,bind,ro "$rosrc" ||
		{ t_fail "no read-only bind mount of $T_SRC"; return; }
	echo ptopath > "$T_WORK/mode-ro"
	if t_mount fuse2pt "$rom" ptsrv --mode-file "$T_WORK/mode-ro" "$rosrc"; then
		D=$(life_conn_dir fuse2pt "$rom")
		REF0=0
		t_expect_eq "open for reading" "$($PT open "$rom/a" ro 2>/dev/null)" ok
		t_expect_eq "... is no refusal" "$(c passthrough_refused)" 0
		t_expect_eq "open for writing" "$($PT open "$rom/a" rw 2>/dev/null)" EIO
		refused "the backing file could not be opened: error -30" "EROFS"
		t_expect_eq "open files (the refused one counted no more)" "$(opens)" "0 0 0"
		t_umount "$rom"
	fi
	umount "$rosrc"
	t_pass
}

t_selected counters && counters_suite
t_selected read-only && readonly_suite

t_start cleanup-ctl
t_check "umount fuse2pt's control filesystem" life_ctl_umount
t_pass
