#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# Readahead without passthrough (ptsrv --no-passthrough, opens cached,
# which counts READs and their bytes), on fuse2pt and on stock fuse:
#   async       the server takes FUSE_ASYNC_READ (libfuse's default): a
#               sequential read of an 8 MiB file returns its bytes, in
#               READs of more than 16 KiB on average
#   sync        the same with --sync-read (no ASYNC_READ: the kernel
#               waits for each readahead READ itself)
#   ra-16k      the server's INIT reply says max_readahead 16 KiB: read
#               in 4 KiB read()s, READs of 16 KiB at most on average,
#               still more than a page
#   close-early READs answered only after 300 ms: dd reads 256 KiB and
#               closes while the readahead it started is still out, and
#               the filesystem is unmounted at once.  Every READ is
#               answered, the RELEASE comes (open = release), umount
#               works and the server exits 0; the runner checks dmesg and
#               rmmod after the case
#   umount-busy the same without waiting for the RELEASE count: umount
#               right after dd, with readahead in flight
#   big-reads   the file read cold in 1 MiB read()s: on fuse2pt in READs
#               of more than the 128 KiB readahead window on average (a
#               read() that large is read ahead whole, up to max_pages: the
#               bdi's io_pages), and never more READs than stock fuse
#               (which does the same on 7.3, not on 6.1 or 6.12)
# Every mount's bdi is /sys/class/bdi/MAJ:MIN of its st_dev, and its
# read_ahead_kb is stock fuse's (compared with the READs below).
# fuse2pt must send the same READs (count and bytes) as stock fuse.

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/60-pt.lib"

RA_SIZE=$((8 << 20))

ra_source() {
	ptc_source
	head -c "$RA_SIZE" /dev/urandom > "$T_SRC/big"
	RA_SUM=$(md5sum < "$T_SRC/big")
}

ra_need() {
	t_need_module && t_need_bin ptsrv && return 0
	t_pass	# reports the failure marked above
	return 1
}

# ra_read TYPE LABEL PTSRV-ARGS...: read the whole file (in RA_BS read()s
# if set), check its bytes and the READ sizes (more than RA_MIN bytes on
# average, 16 KiB unless set); "LABEL READS BYTES READ_AHEAD_KB" goes to
# $T_WORK/${RA_OUT:-ra}-TYPE
ra_read() {
	local type=$1 label=$2 n bytes avg sum d kb min=${RA_MIN:-16384}
	shift 2
	t_start "$type:$label"
	ra_need || return
	ra_source
	ptc_mount "$type" --no-passthrough "$@" || { t_pass; return; }
	ptc_mode cached
	d=$(mountpoint -d "$PTC_MNT")
	t_check "$type: the mount's bdi is /sys/class/bdi/$d" test -r "/sys/class/bdi/$d/read_ahead_kb"
	kb=$(cat "/sys/class/bdi/$d/read_ahead_kb" 2>/dev/null)
	# (the VFS reads ahead at least what each read() asks: 4 KiB ones
	# leave the window to the readahead limit)
	if [ -n "${RA_BS:-}" ]; then
		sum=$(dd if="$PTC_MNT/big" bs="$RA_BS" status=none | md5sum)
	else
		sum=$(md5sum < "$PTC_MNT/big")
	fi
	t_expect_eq "sum of the file read through $type" "$sum" "$RA_SUM"
	ptc_stats
	n=$(ptc_stat read)
	bytes=$(ptc_stat read_bytes)
	t_note "$type $label: $n READs, $bytes bytes asked; read_ahead_kb $kb"
	echo "$label $n $bytes $kb" >> "$T_WORK/${RA_OUT:-ra}-$type"
	avg=$(( ${n:-0} > 0 ? ${bytes:-0} / n : 0 ))
	t_note "average READ $avg bytes"
	if [ -n "${RA_LIMIT:-}" ]; then
		# no READ past the window: as many READs as the limit makes
		t_check "$type $label: no more than $RA_LIMIT bytes a READ on average" \
			test "$avg" -gt 0 -a "$avg" -le "$RA_LIMIT"
		t_check "$type $label: READs of several pages still" test "$avg" -gt 4096
	elif [ "$avg" -le "$min" ]; then
		_t_mark_fail "READs not batched: ${n:-?} READs for $bytes bytes (want more than $min bytes a READ)"
	fi
	t_check "$type $label: every byte asked for at least once" test "${bytes:-0}" -ge "$RA_SIZE"
	ptc_check_balance
	t_umount "$PTC_MNT"
	t_pass
}

# ra_close_early TYPE WAIT-RELEASE(1|0)
ra_close_early() {
	local type=$1 wait=$2 t0 el
	t_start "$type:close-early$([ "$wait" = 1 ] || echo -umount-busy)"
	ra_need || return
	ra_source
	ptc_mount "$type" --no-passthrough --read-delay 300 || { t_pass; return; }
	ptc_mode cached
	t0=$(date +%s%N)
	t_check "$type: dd reads 256 KiB" dd if="$PTC_MNT/big" of=/dev/null bs=64k count=4 status=none
	el=$(( ($(date +%s%N) - t0) / 1000000 ))
	t_note "$type: dd took $el ms (READs answered after 300 ms each)"
	if [ "$wait" = 1 ]; then
		ptc_stats
		ptc_check_balance
	fi
	t_umount "$PTC_MNT"
	t_pass
}

for type in $(ptc_types); do
	: > "$T_WORK/ra-$type"
	: > "$T_WORK/big-$type"
	# (stock fuse on 6.1 and 6.12 reads these in 128 KiB windows)
	RA_OUT=big RA_BS=1M RA_MIN=$([ "$type" = fuse2pt ] && echo 131072) \
		ra_read "$type" big-reads
	ra_read "$type" async
	ra_read "$type" sync --sync-read
	RA_LIMIT=16384 RA_BS=4096 ra_read "$type" ra-16k --max-readahead 16384
	ra_close_early "$type" 1
	ra_close_early "$type" 0
done

# the same READs as stock fuse asks for (its readahead is the reference):
# the same bytes, and as many READs, give or take one in ten where the
# page cache has large folios (6.12 on: how a window's folios split
# over READs of at most max_pages is each kernel's own choice)
if [ -c /dev/fuse ]; then
	t_start "big-reads-as-stock"
	read -r _ n _ kb < "$T_WORK/big-fuse2pt"
	read -r _ sn _ skb < "$T_WORK/big-fuse"
	t_expect_eq "read_ahead_kb, fuse2pt vs stock fuse" "$kb" "$skb"
	t_check "1 MiB read()s: no more READs than stock fuse ($n vs $sn)" test "${n:-1000}" -le "${sn:-0}"
	t_pass

	t_start "reads-as-stock"
	t_expect_eq "labels, bytes and read_ahead_kb, stock fuse vs fuse2pt" \
		"$(awk '{ print $1, $3, $4 }' "$T_WORK/ra-fuse2pt")" "$(awk '{ print $1, $3, $4 }' "$T_WORK/ra-fuse")"
	if [[ $(uname -r) == 6.1.* ]]; then
		t_expect_files_eq "READ counts and bytes, stock fuse (-) vs fuse2pt (+)" \
			"$T_WORK/ra-fuse" "$T_WORK/ra-fuse2pt"
	else
		while read -r label n _; do
			s=$(awk -v l="$label" '$1 == l { print $2 }' "$T_WORK/ra-fuse")
			t_note "$label: $n READs, stock fuse $s"
			t_check "$label: READ count within 10% (or 1) of stock fuse's" \
				awk -v a="$n" -v b="${s:-0}" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(b > 0 && (d <= 1 || d * 10 <= b)) }'
		done < "$T_WORK/ra-fuse2pt"
	fi
	t_pass
fi
