#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 400
#
# Passthrough I/O (SPEC "Passthrough" rules 3, 7, 8): ptsrv hands the
# kernel one backing file per inode, and read, write, append (O_APPEND,
# pwritev2's RWF_APPEND, O_APPEND set with fcntl after open), O_DIRECT,
# AIO and io_uring (asynchronous kiocbs, queued deep), splice, sendfile
# and shared and private mmap all reach the backing file without a READ
# or WRITE request; size and mtime follow the backing file after
# passthrough writes; /proc/PID/maps shows the FUSE path (the backing
# file's on kernels without the backing-file helpers: 6.1).  A write drops
# setuid and setgid as a write on the backing file does: by a user
# without CAP_FSETID, and by any user when the server lacks CAP_FSETID
# (which must not hang the write).  On fuse2pt, and on stock fuse as the
# reference where it has passthrough (6.9 and later).

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/60-pt.lib"

PT=/opt/fuse2pt/bin/pttool

make_files() {
	head -c 1048576 /dev/urandom > "$T_SRC/f1m"
	head -c 100000 /dev/urandom > "$T_SRC/f100k"
	head -c 3000000 /dev/urandom > "$T_SRC/fbig"
	head -c 20000 /dev/urandom > "$T_SRC/fmap"
	head -c 20000 /dev/urandom > "$T_SRC/fpriv"
	echo "first line" > "$T_SRC/append"
	head -c 50000 /dev/urandom > "$T_SRC/trunc"
	head -c 65536 /dev/urandom > "$T_SRC/times"
	touch -d '2001-01-01' "$T_SRC/times"
}

size_mtime() { stat -c '%s %.9Y' "$1"; }

io_suite() {
	local type=$1 m s d r
	ptc_source
	make_files
	t_start "$type:mount"
	ptc_mount "$type" || return
	ptc_have_pt "$type" || { ptc_skip_umount "$type"; return; }
	t_pass
	m=$PTC_MNT s=$T_SRC

	t_start "$type:read"
	for f in f1m f100k fbig; do
		t_expect_files_eq "read $f" "$s/$f" "$m/$f"
	done
	t_expect_eq "READ/WRITE requests" "$(ptc_rw)" "0 0"
	t_pass

	t_start "$type:write"
	head -c 777777 /dev/urandom > "$T_WORK/data"
	t_check "write new file" dd if="$T_WORK/data" of="$m/new" bs=64k status=none
	t_expect_files_eq "new file in source" "$T_WORK/data" "$s/new"
	t_expect_files_eq "new file read back" "$T_WORK/data" "$m/new"
	t_check "overwrite inside" dd if="$T_WORK/data" of="$m/f1m" bs=4k count=3 seek=17 conv=notrunc status=none
	t_expect_files_eq "overwritten file" "$s/f1m" "$m/f1m"
	t_expect_eq "READ/WRITE requests" "$(ptc_rw)" "0 0"
	t_pass

	t_start "$type:size-mtime-follow"
	# attributes are cached for 1 s: a stat right after the write must
	# already see the backing file's size and mtime
	size_mtime "$m/times" > /dev/null
	t_check "extend" dd if="$T_WORK/data" of="$m/times" bs=1000 count=100 seek=100 conv=notrunc status=none
	t_expect_eq "size and mtime after a passthrough write" "$(size_mtime "$m/times")" "$(size_mtime "$s/times")"
	t_expect_eq "size" "$(stat -c %s "$m/times")" 200000
	t_pass

	t_start "$type:append"
	echo "second line" >> "$m/append"
	printf 'third\n' >> "$m/append"
	t_expect_eq "appended content" "$(cat "$s/append")" "first line
second line
third"
	t_expect_eq "size after append" "$(stat -c %s "$m/append")" "$(stat -c %s "$s/append")"
	t_expect_eq "READ/WRITE requests" "$(ptc_rw)" "0 0"
	t_pass

	# the caller's append, not the open flags of the backing file, decides:
	# the same write on the backing file itself is the reference
	t_start "$type:append-rwf-setfl"
	for how in rwf setfl; do
		printf 'base-line\n' > "$s/app-$how"
		printf 'base-line\n' > "$s/app-$how-direct"
		t_expect_eq "$how: write through passthrough" "$($PT append-$how "$m/app-$how" NEW)" ok
		t_expect_eq "$how: write on the backing file" "$($PT append-$how "$s/app-$how-direct" NEW)" ok
		t_expect_eq "$how: content as on the backing file" "$(cat "$s/app-$how")" "$(cat "$s/app-$how-direct")"
		t_expect_eq "$how: appended" "$(cat "$s/app-$how")" "base-line
NEW"
		t_expect_eq "$how: size" "$(stat -c %s "$m/app-$how")" 13
	done
	t_expect_eq "READ/WRITE requests" "$(ptc_rw)" "0 0"
	t_pass

	t_start "$type:truncate"
	t_check "truncate down" truncate -s 12345 "$m/trunc"
	t_expect_eq "source size" "$(stat -c %s "$s/trunc")" 12345
	t_expect_files_eq "after truncate down" "$s/trunc" "$m/trunc"
	t_check "truncate up" truncate -s 70000 "$m/trunc"
	t_expect_files_eq "after truncate up" "$s/trunc" "$m/trunc"
	exec 3<> "$m/trunc"
	t_check "truncate while a passthrough file is open" truncate -s 100 "$m/trunc"
	exec 3>&-
	t_expect_eq "size after ftruncate" "$(stat -c %s "$m/trunc")" 100
	t_expect_eq "READ/WRITE requests" "$(ptc_rw)" "0 0"
	t_pass

	t_start "$type:odirect"
	r=$(ptc_err dd if="$T_WORK/data" of="$s/odirect-probe" bs=4096 count=4 oflag=direct status=none)
	: > "$m/odirect"
	d=$(ptc_err dd if="$T_WORK/data" of="$m/odirect" bs=4096 count=16 oflag=direct conv=notrunc status=none)
	t_expect_eq "O_DIRECT write: same result as on the backing filesystem" "$d" "$r"
	if [ "$r" = ok ]; then
		t_expect_eq "O_DIRECT read" "$(dd if="$m/odirect" bs=4096 iflag=direct status=none | md5sum)" \
			"$(head -c 65536 "$T_WORK/data" | md5sum)"
		t_expect_eq "READ/WRITE requests" "$(ptc_rw)" "0 0"
		t_pass
	else
		t_skip "the backing filesystem ($T_ODFS) on $(uname -r) has no O_DIRECT ($r), and passthrough says the same"
	fi

	t_start "$type:odirect-create"
	if [ "$r" = ok ]; then
		t_expect_eq "O_CREAT|O_DIRECT open of a new file" \
			"$(ptc_err dd if="$T_WORK/data" of="$m/odirect-new" bs=4096 count=4 oflag=direct status=none)" ok
		t_pass
	else
		t_skip "the backing filesystem ($T_ODFS) on $(uname -r) has no O_DIRECT ($r)"
	fi

	t_start "$type:aio"
	t_need_bin pttool
	t_check "fio libaio randwrite+verify" fio --name=aio --filename="$m/aio" --size=4m --bs=16k \
		--rw=randwrite --ioengine=libaio --iodepth=8 --verify=crc32c --do_verify=1 \
		--output=/dev/null
	t_check "fio io_uring randrw+verify" fio --name=uring --filename="$m/uring" --size=4m --bs=8k \
		--rw=randwrite --ioengine=io_uring --iodepth=8 --verify=crc32c --do_verify=1 \
		--output=/dev/null
	t_expect_files_eq "aio file" "$s/aio" "$m/aio"
	if [ "$r" = ok ]; then
		truncate -s 4m "$m/aiod"
		t_check "fio libaio O_DIRECT" fio --name=aiod --filename="$m/aiod" --size=4m --bs=16k \
			--rw=randwrite --ioengine=libaio --direct=1 --iodepth=8 --verify=crc32c \
			--do_verify=1 --output=/dev/null
	fi
	t_expect_eq "READ/WRITE requests" "$(ptc_rw)" "0 0"
	t_pass

	# O_DIRECT kiocbs are the ones a filesystem completes asynchronously:
	# deep queues must verify, and io_submit must queue them all
	t_start "$type:aio-deep"
	if [ "$r" = ok ]; then
		for e in libaio io_uring; do
			truncate -s 8m "$m/deep-$e"
			t_check "fio $e O_DIRECT iodepth 32 randrw+verify" fio --name="deep-$e" \
				--filename="$m/deep-$e" --size=8m --bs=4k --rw=randwrite --ioengine=$e \
				--direct=1 --iodepth=32 --iodepth_batch_submit=8 --verify=crc32c \
				--do_verify=1 --output=/dev/null
			t_expect_files_eq "fio $e file" "$s/deep-$e" "$m/deep-$e"
		done
		d=$($PT aioread "$m/f1m" 8 65536)
		t_note "aioread: $d"
		t_expect_eq "io_submit of 8 O_DIRECT reads" "$(sed -n 's/.*submitted=\([0-9]*\).*/\1/p' <<< "$d")" 8
		t_expect_eq "completions" "$(sed -n 's/.*completed=\([0-9]*\).*/\1/p' <<< "$d")" 8
		t_expect_eq "data" "$(sed -n 's/.*data=\([a-z]*\).*/\1/p' <<< "$d")" ok
		t_expect_eq "READ/WRITE requests" "$(ptc_rw)" "0 0"
		t_pass
	else
		t_skip "the backing filesystem ($T_ODFS) on $(uname -r) has no O_DIRECT ($r)"
	fi

	t_start "$type:splice"
	t_expect_eq "splice read" "$($PT spliceread "$m/fbig" | md5sum)" "$(md5sum < "$s/fbig")"
	head -c 300000 /dev/urandom > "$T_WORK/spl"
	t_check "splice write" $PT splicewrite "$m/spliced" 0 < "$T_WORK/spl"
	t_expect_files_eq "spliced file" "$T_WORK/spl" "$s/spliced"
	t_check "sendfile passthrough -> passthrough" $PT sendfile "$m/fbig" "$m/sent"
	t_expect_files_eq "sendfile copy" "$s/fbig" "$s/sent"
	t_expect_eq "READ/WRITE requests" "$(ptc_rw)" "0 0"
	t_pass

	t_start "$type:mmap-shared"
	t_expect_eq "mmap read" "$($PT mmapread "$m/fmap" | md5sum)" "$(md5sum < "$s/fmap")"
	t_check "mmap write" $PT mmapwrite "$m/fmap" 5000 HELLO-THROUGH-MMAP
	t_expect_eq "store reached the backing file" "$(dd if="$s/fmap" bs=1 skip=5000 count=18 status=none)" \
		HELLO-THROUGH-MMAP
	t_expect_eq "and reads back" "$(dd if="$m/fmap" bs=1 skip=5000 count=18 status=none)" HELLO-THROUGH-MMAP
	t_expect_eq "READ/WRITE requests" "$(ptc_rw)" "0 0"
	t_pass

	t_start "$type:mmap-private"
	cp "$s/fpriv" "$T_WORK/fpriv.orig"
	t_expect_eq "private mapping" "$($PT mmapprivate "$m/fpriv" 100 PRIVATE-STORE)" "private ok"
	t_expect_files_eq "file unchanged" "$T_WORK/fpriv.orig" "$s/fpriv"
	t_pass

	t_start "$type:proc-maps"
	if [ "$type" = fuse2pt ] && ! t_kernel_at_least 6.8; then
		# no backing-file helpers: the mapping is the backing file's own
		t_expect_eq "/proc/self/maps path (the backing file's, before 6.8)" \
			"$($PT maps "$m/f100k")" "$s/f100k"
		t_expect_eq "/proc/self/maps device and inode (the backing file's)" \
			"$($PT mapsdev "$m/f100k")" \
			"$(printf '%02x:%02x %s' "$(stat -c %Hd "$s/f100k")" "$(stat -c %Ld "$s/f100k")" "$(stat -c %i "$s/f100k")")"
	else
		t_expect_eq "/proc/self/maps path" "$($PT maps "$m/f100k")" "$m/f100k"
	fi
	t_pass

	t_start "$type:no-data-requests"
	ptc_stats
	t_expect_eq "READ requests" "$(ptc_stat read)" 0
	t_expect_eq "WRITE requests" "$(ptc_stat write)" 0
	t_expect_eq "BACKING_OPEN failures" "$(ptc_stat backing_open_fail)" 0
	ptc_check_balance
	t_pass

	t_start "$type:umount"
	t_umount "$PTC_MNT"
	t_pass
}

# as_who WHO CMD...: CMD as root, as root without CAP_FSETID (rootnofsetid:
# what a server lacking it writes as), or as nobody
as_who() {
	local who=$1
	shift
	case $who in
	nobody) setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@" ;;
	rootnofsetid) setpriv --bounding-set=-fsetid -- "$@" ;;
	*) "$@" ;;
	esac
}

# suid_write NAME WHO WHO-DIRECT: a 6777 file written by WHO through
# passthrough, and its twin on the backing file written by WHO-DIRECT;
# prints "MODE-THROUGH MODE-DIRECT" or why not.  The write through is
# killed after 20 s: a server stuck answering SETATTR under the backing
# inode lock would hang it.
suid_write() {
	local name=$1 who=$2 whod=$3 rc=0
	head -c 4096 /dev/urandom > "$T_SRC/$name"
	cp "$T_SRC/$name" "$T_SRC/$name-direct"
	chmod 6777 "$T_SRC/$name" "$T_SRC/$name-direct"
	as_who "$whod" dd if=/dev/zero of="$T_SRC/$name-direct" bs=512 count=1 conv=notrunc status=none
	as_who "$who" timeout -s KILL 20 dd if=/dev/zero of="$PTC_MNT/$name" bs=512 count=1 \
		conv=notrunc status=none 2> "$T_WORK/suid-err" || rc=$?
	if [ $rc = 137 ]; then
		echo "write hung (killed after 20 s)"
	elif [ $rc != 0 ]; then
		echo "write failed: $(cat "$T_WORK/suid-err")"
	else
		echo "$(stat -c %a "$T_SRC/$name") $(stat -c %a "$T_SRC/$name-direct")"
	fi
}

# suid_check DESC "THROUGH DIRECT" DROPPED: the modes agree, and setuid is
# gone (DROPPED 1) or kept (0)
suid_check() {
	local through=${2%% *} direct=${2##* }
	t_expect_eq "$1: mode through passthrough as on the backing file (through direct)" \
		"$2" "$direct $direct"
	case $through in
	[0-9][0-9][0-9][0-9]) t_expect_eq "$1: setuid dropped" "$(( (8#$through & 04000) == 0 ))" "$3" ;;
	[0-9][0-9][0-9]) t_expect_eq "$1: setuid dropped" 1 "$3" ;;
	esac
}

suid_suite() {
	local type=$1
	ptc_source
	t_start "$type:suid-mount"
	T_MOUNT_OPTS=allow_other ptc_mount "$type" || return
	ptc_have_pt "$type" || { ptc_skip_umount "$type"; return; }
	t_pass

	# no CAP_FSETID: the user's write drops them, as on the backing file
	t_start "$type:suid-dropped-by-user-write"
	suid_check "write by nobody" "$(suid_write suid-user nobody nobody)" 1
	t_expect_eq "READ/WRITE requests" "$(ptc_rw)" "0 0"
	t_pass

	t_start "$type:suid-kept-by-root-write"
	suid_check "write by root" "$(suid_write suid-root root root)" 0
	t_pass

	t_start "$type:suid-umount"
	t_umount "$PTC_MNT"
	t_pass

	# The server's credentials write to the backing file: without
	# CAP_FSETID they drop setuid there even for root's write, as a
	# write without CAP_FSETID on the backing file does, and nothing may
	# call back into the server with the backing inode locked.
	t_start "$type:suid-server-without-fsetid"
	if T_MOUNT_OPTS=allow_other ptc_mount "$type" --drop-fsetid; then
		suid_check "write by root, server without CAP_FSETID" \
			"$(suid_write suid-srv root rootnofsetid)" 1
		t_expect_eq "READ/WRITE requests" "$(ptc_rw)" "0 0"
		t_umount "$PTC_MNT"
	fi
	t_pass
}

# FUSE2PT_SUB picks suites: TYPE:io, TYPE:suid
for type in $(ptc_types); do
	t_selected "$type:io" && io_suite "$type"
	t_selected "$type:suid" && suid_suite "$type"
done
