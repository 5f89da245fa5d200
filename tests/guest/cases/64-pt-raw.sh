#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# Passthrough negotiation and OPEN replies from a raw-protocol server
# (tests/passthrough/ptraw.c), for what libfuse never sends: INIT with
# FUSE_PASSTHROUGH and the writeback cache, max_stack_depth 0 or 3 (no
# passthrough: BACKING_OPEN is EPERM), FOPEN_PASSTHROUGH with KEEP_CACHE,
# with an unknown id, or without passthrough negotiated (EIO, and the
# server still gets its RELEASE).  On fuse2pt, and on stock fuse as the
# reference where it has passthrough.

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/60-pt.lib"

# INIT | OPEN | cat result | BACKING_OPEN | READ requests (0, or + for some)
RAW_CASES="
pt     pt    ok  OK    0
pt     keep  EIO OK    0
pt     badid EIO OK    0
pt-wb  pt    ok  EPERM +
depth0 pt    ok  EPERM +
depth3 pt    ok  EPERM +
none   badid EIO EPERM 0
none   plain ok  EPERM +
"

# raw_one TYPE INIT OPEN WANT_CAT WANT_BACKING WANT_READ
raw_one() {
	local type=$1 init=$2 open=$3 mnt=$T_WORK/mnt/$1-raw log got reads opens rels
	t_start "$type:$init-$open"
	t_mount "$type" "$mnt" ptraw "$init" "$open" "$T_SRC/back" || return
	log=$T_WORK/logs/$type-ptraw-$(basename "$mnt").log
	got=$(ptc_err cat "$mnt/file")
	t_expect_eq "cat" "$got" "$4"
	[ "$got" = ok ] && t_expect_eq "content" "$(md5sum < "$mnt/file")" "$(md5sum < "$T_SRC/back")"
	t_umount "$mnt"
	t_expect_eq "BACKING_OPEN" "$(awk '/backing-open/ { print $3; exit }' "$log")" "$5"
	reads=$(sed -n 's/.*read=\([0-9]*\).*/\1/p' "$log")
	opens=$(sed -n 's/.*open=\([0-9]*\).*/\1/p' "$log")
	rels=$(sed -n 's/.*release=\([0-9]*\).*/\1/p' "$log")
	if [ "$6" = 0 ]; then
		t_expect_eq "READ requests" "$reads" 0
	else
		t_check "READ requests ($reads) reached the server" test "${reads:-0}" -gt 0
	fi
	t_expect_eq "RELEASE for every OPEN" "$rels" "$opens"
	t_pass
}

ptc_source
head -c 200000 /dev/urandom > "$T_SRC/back"
for type in $(ptc_types); do
	if [ "$type" = fuse ] && ! grep -q ' 7\.[4-9][0-9]' <<< " $(dmesg | sed -n 's/.*fuse: init (API version \(7\.[0-9]*\)).*/\1/p' | tail -n1)"; then
		t_start "$type:reference"
		t_skip "stock fuse on $(uname -r) has no passthrough (before 6.9): no reference on this kernel"
		continue
	fi
	while read -r init open cat backing reads; do
		[ -n "$init" ] || continue
		raw_one "$type" "$init" "$open" "$cat" "$backing" "$reads"
	done <<< "$RAW_CASES"
done
