#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The demo (make demo / tests/demo.sh): what FUSE passthrough changes.
# libfuse's passthrough_hp (the libfuse of the guest, 3.17) mirrors one
# directory twice, on stock fuse and on fuse2pt.  The same file is read
# and written through both mounts with the server's debug output on, and
# the READ and WRITE requests it saw are counted: with passthrough they
# never reach the server.  Then fuse2pt's connection counters, and fio's
# sequential and 4k random read throughput of the directory itself, the
# stock fuse mount and the fuse2pt mount, side by side.
#
# The demo passes when fuse2pt's server saw no READ or WRITE for the file
# while the data read back equals what was written.  The throughput is
# what this guest measured once (under TCG mostly the host's speed): it
# shows the order of things, not a benchmark (make bench is that).
T_CASE=demo
. /tests/lib.sh

SIZE_MB=64			# the file read through each mount
WRITE_MB=8			# written through each mount
FIO_SECS=4			# per fio run
SRC=/tmp/demo-src		# tmpfs, the directory both mounts mirror
STOCK=/mnt/stock
F2P=/mnt/fuse2pt
CTL=/sys/fs/fuse2pt/connections

say() { printf '%s\n' "$*"; }
hr() { say "------------------------------------------------------------------------"; }
# count_ops LOG OPCODE: the requests of that opcode in a libfuse debug log
count_ops() { grep -c "opcode: $2 " "$1" 2>/dev/null || true; }
# conn_dir MNT: the mount's directory under $CTL (N = major << 20 | minor)
conn_dir() {
	local dev
	dev=$(mountpoint -d "$1") || return 1
	echo "$CTL/$(( (${dev%:*} << 20) | ${dev#*:} ))"
}

echo
echo "==================== fuse2pt demo on $(uname -r) ===================="
insmod "$T_MOD" || say "!! insmod $T_MOD failed"
t_wait_for 5 test -c /dev/fuse2pt
mountpoint -q "$CTL" || mount -t fuse2ptctl none "$CTL" 2>/dev/null
say "fuse2pt $(cat /sys/module/fuse2pt/version 2>/dev/null) loaded beside stock fuse:"
grep -E '^(fuse|fuse2pt) ' /proc/modules | awk '{ print "  module " $1 }'
ls -l /dev/fuse /dev/fuse2pt | sed 's/^/  /'

t_start demo
mkdir -p "$SRC" "$STOCK" "$F2P"
mountpoint -q "$SRC" || mount -t tmpfs -o size=$((SIZE_MB * 3))m tmpfs "$SRC"
head -c $((SIZE_MB << 20)) /dev/urandom > "$SRC/data.bin"
head -c $((WRITE_MB << 20)) /dev/urandom > /tmp/demo-write.bin
hp=$T_BIN/passthrough_hp
if [ ! -x "$hp" ]; then
	t_skip "passthrough_hp was not built (progs.status says why); no demo without it"
	t_pass
	exit 0
fi

hr
say "1. One server, two mounts: $hp $SRC, on stock fuse ($STOCK) and on"
say "   fuse2pt ($F2P), its libfuse debug output on (--debug-fuse)."
say "   Read $SIZE_MB MiB and write $WRITE_MB MiB through each; count the"
say "   READ and WRITE requests the server saw."
hr
ok=1
t_mount fuse "$STOCK" "$hp" --foreground --debug-fuse "$SRC" || ok=0
t_mount fuse2pt "$F2P" "$hp" --foreground --debug-fuse "$SRC" || ok=0
if [ $ok = 1 ]; then
	declare -A reads writes rsum
	for m in "$STOCK" "$F2P"; do
		rsum[$m]=$(cat "$m/data.bin" | md5sum | cut -d' ' -f1)
		cp /tmp/demo-write.bin "$m/written-$(basename "$m").bin"
		sync
	done
	# the logs are complete once the requests are answered; the server
	# writes each line before it answers
	for m in "$STOCK" "$F2P"; do
		log=${_t_srv_log[$m]}
		reads[$m]=$(count_ops "$log" READ)
		writes[$m]=$(count_ops "$log" WRITE)
	done
	want=$(md5sum < "$SRC/data.bin" | cut -d' ' -f1)
	printf '  %-34s %14s %14s\n' "" "stock fuse" "fuse2pt"
	printf '  %-34s %14s %14s\n' "READ requests the server saw" "${reads[$STOCK]}" "${reads[$F2P]}"
	printf '  %-34s %14s %14s\n' "WRITE requests the server saw" "${writes[$STOCK]}" "${writes[$F2P]}"
	printf '  %-34s %14s %14s\n' "data read back intact" \
		"$([ "${rsum[$STOCK]}" = "$want" ] && echo yes || echo NO)" \
		"$([ "${rsum[$F2P]}" = "$want" ] && echo yes || echo NO)"
	for m in "$STOCK" "$F2P"; do
		t_check "$m: the file read through the mount is the file" test "${rsum[$m]}" = "$want"
		t_check "$m: the written file landed in the source" \
			cmp -s /tmp/demo-write.bin "$SRC/written-$(basename "$m").bin"
	done
	t_expect_eq "fuse2pt: READ requests the server saw" "${reads[$F2P]}" 0
	t_expect_eq "fuse2pt: WRITE requests the server saw" "${writes[$F2P]}" 0
	if [ "${reads[$STOCK]}" = 0 ]; then
		say "  (stock fuse of $(uname -r) has passthrough too: it negotiated it)"
	else
		say "  (stock fuse of $(uname -r) has no passthrough: every read and write"
		say "   went to the server)"
	fi

	hr
	say "2. fuse2pt's counters for that mount, $(conn_dir "$F2P")/, with"
	say "   data.bin held open: backing_files and open_* count what is open"
	say "   now, the bytes and refusals everything since the mount."
	hr
	d=$(conn_dir "$F2P")
	shown=0
	exec 7< "$F2P/data.bin"
	for f in "$d"/*; do
		[ -f "$f" ] && [ -r "$f" ] || continue
		case $(basename "$f") in abort) continue ;; esac
		printf '  %-26s %s\n' "$(basename "$f")" "$(head -n1 "$f" 2>/dev/null)"
		shown=1
	done
	[ $shown = 1 ] || say "  (no counters readable in $d)"
	t_expect_eq "fuse2pt: files open in passthrough while data.bin is" "$(cat "$d/open_passthrough" 2>&1)" 1
	t_expect_eq "fuse2pt: bytes read through passthrough" "$(cat "$d/passthrough_read_bytes" 2>&1)" $((SIZE_MB << 20))
	exec 7<&-
	t_umount "$STOCK"
	t_umount "$F2P"
fi

hr
say "3. Throughput, fio, guest time: the directory itself, stock fuse and"
say "   fuse2pt (passthrough_hp without debug output), $FIO_SECS s per run."
say "   One run under QEMU: the order of things, not a benchmark."
hr
ok=1
t_mount fuse "$STOCK" "$hp" --foreground "$SRC" || ok=0
t_mount fuse2pt "$F2P" "$hp" --foreground "$SRC" || ok=0
if [ $ok = 1 ]; then
	# fio_mbs DIR RW BS: MB/s of one job reading data.bin in DIR
	fio_mbs() {
		local out
		out=$(fio --name=demo --filename="$1/data.bin" --rw="$2" --bs="$3" \
			--size=${SIZE_MB}m --runtime=$FIO_SECS --time_based --ioengine=psync \
			--invalidate=1 --output-format=terse --terse-version=3 2>/dev/null) || return 1
		# terse v3: field 7 is the read bandwidth in KiB/s
		awk -F';' '{ v = $7 / 1024; printf (v < 10 ? "%.1f" : "%.0f"), v }' <<< "$out"
	}
	printf '  %-22s %12s %12s %12s %16s\n' "" "directory" "stock fuse" "fuse2pt" "fuse2pt / stock"
	for w in "sequential read:read:1m" "4k random read:randread:4k"; do
		IFS=: read -r label rw bs <<< "$w"
		n=$(fio_mbs "$SRC" "$rw" "$bs")
		s=$(fio_mbs "$STOCK" "$rw" "$bs")
		f=$(fio_mbs "$F2P" "$rw" "$bs")
		ratio=$(awk -v a="$f" -v b="$s" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }')
		printf '  %-22s %9s MB/s %7s MB/s %7s MB/s %16s\n' "$label" "${n:--}" "${s:--}" "${f:--}" "$ratio"
		t_check "fio $label through fuse2pt gave a number" test -n "$f"
	done
	t_umount "$STOCK"
	t_umount "$F2P"
fi
umount "$SRC" 2>/dev/null
t_pass
echo
echo "==================== end of demo ===================="
echo
