#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 400
#
# Passthrough I/O (SPEC "Passthrough" rules 3, 7, 8): ptsrv hands the
# kernel one backing file per inode, and read, write, append, O_DIRECT,
# AIO, io_uring, splice, sendfile and shared and private mmap all reach the
# backing file without a READ or WRITE request; size and mtime follow the
# backing file after passthrough writes; /proc/PID/maps shows the FUSE
# path.  On fuse2pt, and on stock fuse as the reference where it has
# passthrough (6.9 and later).

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
	t_expect_eq "/proc/self/maps path" "$($PT maps "$m/f100k")" "$m/f100k"
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

for type in $(ptc_types); do
	io_suite "$type"
done
