#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: fuse2pt's benchmark, apart from the pass/fail suite.  Builds
# what `make check` builds (same harness: tests/lib), boots each kernel
# once with f2ptest.mode=bench (tests/bench/guest-bench.sh) and collects
#   - fio: seq read/write 1M, rand read/write 4k, mmap read, 4 parallel
#     random readers, on the backing filesystem, fuse2pt with and without
#     passthrough, stock fuse without and (6.12 on) with passthrough;
#   - metadata (tests/bench/metabench): create, stat, readdir, rename,
#     unlink of N files through passthrough_ll on fuse2pt and stock fuse.
#
#   tests/bench/run.sh [TAGS...]     TAGS: 6.1 6.12 7.3 (default: all three),
#                                    5.10 6.12t 7.2 (as for tests/run.sh)
#   tests/bench/run.sh --charts [TAGS...]   redo the tables and charts of an earlier run
#
# Output: $WORK/bench/TAG.txt (tables), $WORK/bench/TAG.png (chart),
# $WORK/bench/TAG.raw (the guest's BENCH lines); the tables are printed
# at the end.  Benchmarks print; they do not pass or fail (the exit status
# is non-zero only when a kernel produced no numbers at all).
#
# Environment: FUSE2PT_WORK, FUSE2PT_CACHE, FUSE2PT_ACCEL as for run.sh
#   (FUSE2PT_ACCEL=icount: the deterministic mode, tests/lib/vm.sh);
#   FUSE2PT_BENCH_TIMEOUT   host-side limit per kernel (1500 s)
#   FUSE2PT_VM_MEM          guest memory (3G here)
#   BENCH_RUNTIME (3 s), BENCH_SIZE (64m), BENCH_ROUNDS (3; medians),
#   BENCH_META_N (2000)      passed to the guest
#   BENCH_WORK, BENCH_CFGS   a focused run: comma-separated workloads and
#                            configurations (default: all); BENCH_META=0
#                            leaves out the metadata phase; BENCH_DIAG=1
#                            shows what each run asked of the server
set -uo pipefail
export FUSE2PT_VM_MEM=${FUSE2PT_VM_MEM:-3G}
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/vm.sh"
. "$TOP/tests/lib/build.sh"

need_root
REDRAW=0
[ "${1:-}" = --charts ] && { REDRAW=1; shift; }
TAGS=("$@")
[ ${#TAGS[@]} -gt 0 ] || TAGS=(6.1 6.12 7.3)
for t in "${TAGS[@]}"; do
	case $t in 5.10|6.1|6.12|6.12t|7.2|7.3) ;; *) die "unknown kernel tag '$t' (5.10, 6.1, 6.12, 6.12t, 7.2, 7.3)" ;; esac
done
TIMEOUT=${FUSE2PT_BENCH_TIMEOUT:-1500}
OUT=$WORK/bench
FIO_CFGS=(backing f2p-pt f2p-nopt fuse-nopt fuse-pt)
FIO_WORK=(seqread seqwrite randread randwrite mmapread par4read)
META_CFGS=(backing f2p fuse)
META_OPS=(create stat readdir rename unlink)

bench_overlay() {	# TAG: $WORK/TAG/bench.img = run.img + the bench script
	local tag=$1 st=$WORK/$1/bench-overlay
	rm -rf "$st"
	mkdir -p "$st/tests/bench"
	install -m 755 "$TOP/tests/bench/guest-bench.sh" "$st/tests/bench/"
	(cd "$st" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
		zstd -q -T0 > "$WORK/$tag/bench-overlay.cpio.zst"
	cat "$WORK/$tag/run.img" "$WORK/$tag/bench-overlay.cpio.zst" > "$WORK/$tag/bench.img"
}

# tables TAG RAW: the text tables from the BENCH lines
tables() {
	local tag=$1 raw=$2
	awk -v tag="$tag" -v kver="$(kver_of "$tag")" -v fcfg="${FIO_CFGS[*]}" -v fw="${FIO_WORK[*]}" \
	    -v mcfg="${META_CFGS[*]}" -v mops="${META_OPS[*]}" '
	$1 == "BENCH" && $2 == "fio"  { fio[$3, $4] = $5 }
	$1 == "BENCH" && $2 == "fioround" { rv[$4, $5, $3] = $6; if ($3 > nr) nr = $3 }
	$1 == "BENCH" && $2 == "meta" { meta[$3, $4] = $5 }
	$1 == "BENCH-INFO" { k = $2; $1 = ""; $2 = ""; sub(/^  */, ""); info[k] = $0 }
	$1 == "BENCH-SKIP" { k = $2; $1 = ""; $2 = ""; sub(/^  */, ""); skip[k] = $0 }
	# the median over the rounds of A/B, each round measured back to
	# back; without round lines (an older run), the ratio of the numbers
	function ratio(a, b, w,   r, n, i, j, t, q) {
		n = 0
		for (r = 1; r <= nr; r++)
			if (rv[b, w, r] > 0 && rv[a, w, r] != "")
				q[++n] = rv[a, w, r] / rv[b, w, r]
		if (!n) return (fio[b, w] > 0 && fio[a, w] != "") ? fio[a, w] / fio[b, w] : ""
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && q[j - 1] > q[j]; j--) { t = q[j]; q[j] = q[j - 1]; q[j - 1] = t }
		return n % 2 ? q[(n + 1) / 2] : (q[n / 2] + q[n / 2 + 1]) / 2
	}
	function cell(v, x, fmt) {
		if (v == "") return sprintf("%-16s", "-")
		if (x != "") return sprintf("%-16s", sprintf(fmt " (%.2f)", v, x))
		return sprintf("%-16s", sprintf(fmt, v))
	}
	END {
		nc = split(fcfg, C, " "); nw = split(fw, W, " ")
		if (nr) printf "== %s (%s): fio MB/s, median of %d rounds (ratio to the backing filesystem: median of the rounds\x27 ratios)\n", tag, kver, nr
		else printf "== %s (%s): fio MB/s, (ratio to the backing filesystem)\n", tag, kver
		printf "   backing: %s; %s\n", info["backing"], info["fio"]
		printf "%-10s", "workload"
		for (i = 1; i <= nc; i++) printf "%-16s", C[i]
		printf "%-16s%s\n", "f2p-pt/fuse-pt", "f2p-nopt/fuse-nopt"
		for (j = 1; j <= nw; j++) {
			w = W[j]
			printf "%-10s", w
			for (i = 1; i <= nc; i++)
				printf "%s", cell(fio[C[i], w], C[i] == "backing" ? "" : ratio(C[i], "backing", w), "%.1f")
			x = ratio("f2p-pt", "fuse-pt", w)
			printf "%-16s", x != "" ? sprintf("%.2f", x) : "-"
			x = ratio("f2p-nopt", "fuse-nopt", w)
			if (x != "") printf "%.2f", x; else printf "-"
			printf "\n"
		}
		for (k in skip) if (k !~ /^(f2p|fuse|backing)$/) printf "   %s: not measured (%s)\n", k, skip[k]
		nc = split(mcfg, C, " "); nw = split(mops, W, " ")
		printf "\n== %s (%s): metadata ops/s (%s files; readdir: entries/s), passthrough_ll\n", tag, kver, n = (info["fio"] ~ /meta_n=/ ? substr(info["fio"], index(info["fio"], "meta_n=") + 7) : "?")
		printf "%-10s", "op"
		for (i = 1; i <= nc; i++) printf "%-16s", C[i]
		printf "%s\n", "f2p/fuse"
		for (j = 1; j <= nw; j++) {
			w = W[j]
			printf "%-10s", w
			for (i = 1; i <= nc; i++) printf "%s", cell(meta[C[i], w], "", "%.0f")
			a = meta["f2p", w]; s = meta["fuse", w]
			if (a != "" && s > 0) printf "%.2f", a / s; else printf "-"
			printf "\n"
		}
		for (k in skip) if (k ~ /^(f2p|fuse)$/) printf "   %s: not measured (%s)\n", k, skip[k]
	}' "$raw"
}

# chart TAG RAW: TAG.png, fio MB/s and metadata ops/s side by side
chart() {
	local tag=$1 raw=$2 d=$OUT/$1.fio.dat m=$OUT/$1.meta.dat c
	local fc=() mc=()	# the configurations with numbers (a focused run has fewer)
	for c in "${FIO_CFGS[@]}"; do grep -q "^BENCH fio $c " "$raw" && fc+=("$c"); done
	for c in "${META_CFGS[@]}"; do grep -q "^BENCH meta $c " "$raw" && mc+=("$c"); done
	[ ${#fc[@]} -gt 0 ] || { log "$tag: no fio numbers: no chart"; return 1; }
	command -v gnuplot >/dev/null 2>&1 || apt-get install -y -q -o DPkg::Lock::Timeout=300 gnuplot-nox > /dev/null 2>&1 ||
		{ log "gnuplot missing and could not be installed: no chart"; return 1; }
	awk -v cfg="${fc[*]}" -v wl="${FIO_WORK[*]}" -v kind=fio '
	$1 == "BENCH" && $2 == kind { v[$3, $4] = $5 }
	END { nc = split(cfg, C, " "); nw = split(wl, W, " ")
	      printf "workload"; for (i = 1; i <= nc; i++) printf " %s", C[i]; printf "\n"
	      for (j = 1; j <= nw; j++) { printf "%s", W[j]
		for (i = 1; i <= nc; i++) printf " %s", ((C[i], W[j]) in v) ? v[C[i], W[j]] : "-"
		printf "\n" } }' "$raw" > "$d"
	awk -v cfg="${mc[*]}" -v wl="${META_OPS[*]}" -v kind=meta '
	$1 == "BENCH" && $2 == kind { v[$3, $4] = $5 }
	END { nc = split(cfg, C, " "); nw = split(wl, W, " ")
	      printf "op"; for (i = 1; i <= nc; i++) printf " %s", C[i]; printf "\n"
	      for (j = 1; j <= nw; j++) { printf "%s", W[j]
		for (i = 1; i <= nc; i++) printf " %s", ((C[i], W[j]) in v) ? v[C[i], W[j]] : "-"
		printf "\n" } }' "$raw" > "$m"
	local panels=1 metaplot=""	# the metadata panel only when the run had that phase
	if [ ${#mc[@]} -gt 0 ]; then
		panels=2
		metaplot="set title \"metadata through passthrough_ll (ops/s, log scale)\"; set yrange [10:*]
	plot for [i=2:$(( ${#mc[@]} + 1 ))] \"$m\" using i:xtic(1) title columnheader(i)"
	fi
	gnuplot <<-EOF
	set terminal pngcairo size 1400,550 noenhanced font ",10"
	set output "$OUT/$tag.png"
	set datafile missing "-"
	set style data histogram
	set style histogram clustered gap 1
	set style fill solid 0.85 border -1
	set key top right
	set grid ytics
	set multiplot layout 1,$panels title "fuse2pt benchmark, $tag ($(kver_of "$tag")), $(vm_accel)"
	set title "fio (MB/s, log scale)"
	set logscale y
	set yrange [0.1:*]
	plot for [i=2:$(( ${#fc[@]} + 1 ))] "$d" using i:xtic(1) title columnheader(i)
	$metaplot
	unset multiplot
	EOF
}

if [ "${REDRAW:-}" = 1 ]; then	# --charts: tables and chart again from $OUT/TAG.raw, no boot
	for t in "${TAGS[@]}"; do
		[ -s "$OUT/$t.raw" ] || { log "no $OUT/$t.raw: nothing to redraw"; continue; }
		{ tables "$t" "$OUT/$t.raw"; grep -E '^   (!!|qemu )' "$OUT/$t.txt" 2>/dev/null; } > "$OUT/$t.txt.new" &&
			mv "$OUT/$t.txt.new" "$OUT/$t.txt"
		chart "$t" "$OUT/$t.raw" && log "chart: $OUT/$t.png"
		cat "$OUT/$t.txt" 2>/dev/null
	done
	exit 0
fi

bash "$TOP/tests/lib/host-setup.sh" || die "host setup failed"
bash "$TOP/tests/lib/guest-image.sh" || die "guest image failed"
mkdir -p "$WORK" "$OUT"
build_progs || log "some test programs did not build ($WORK/progs.status)"
[ -x "$WORK/bin/metabench" ] || log "!! metabench did not build: no metadata numbers"
for t in "${TAGS[@]}"; do
	if is_range_tag "$t"; then range_kernel "$t" || die "cannot fetch the $t kernel"; fi
	build_module "$t" || log "fuse2pt.ko did not build cleanly for $t"
	make_image "$t" || die "cannot make the initramfs for $t"
	bench_overlay "$t" || die "cannot make the benchmark initramfs for $t"
done

rc=0
for t in "${TAGS[@]}"; do
	dir=$WORK/$t/bench
	log "booting $t ($(kver_of "$t")) under $(vm_accel) for the benchmark (limit ${TIMEOUT}s)"
	t0=$(date +%s)
	VM_LOGLEVEL=4 vm_boot "$(vmlinuz_of "$t")" "$WORK/$t/bench.img" "$dir" "$TIMEOUT" \
		f2ptest.tag="$t" f2ptest.mode=bench \
		${BENCH_RUNTIME:+bench.runtime=$BENCH_RUNTIME} ${BENCH_SIZE:+bench.size=$BENCH_SIZE} \
		${BENCH_META_N:+bench.meta_n=$BENCH_META_N} ${BENCH_ROUNDS:+bench.rounds=$BENCH_ROUNDS} \
		${BENCH_WORK:+bench.work=$BENCH_WORK} ${BENCH_CFGS:+bench.cfgs=$BENCH_CFGS} \
		${BENCH_META:+bench.meta=$BENCH_META} ${BENCH_DIAG:+bench.diag=$BENCH_DIAG} &
	pid=$!
	sleep 1
	tail -n +1 -f --pid=$pid "$dir/results.log" 2>/dev/null |
		sed -u -n "s/\r\$//; s/^BENCH/[$t] &/p" >&2
	wait $pid
	brc=$?
	tr -d '\r' < "$dir/results.log" | grep -E '^BENCH' > "$OUT/$t.raw"
	log "$t: qemu status $brc after $(( $(date +%s) - t0 ))s; console $dir/console.log"
	if ! grep -q '^BENCH fio' "$OUT/$t.raw"; then
		log "!! $t produced no numbers (see $dir/console.log)"
		rc=1
	fi
	grep -q '^BENCH-END' "$OUT/$t.raw" || echo "BENCH-INFO incomplete the guest did not finish (qemu status $brc)" >> "$OUT/$t.raw"
	bad=$(tr -d '\r' < "$dir/results.log" | sed -n '/^DMESG-BEGIN/,/^DMESG-END/p' |
		grep -E 'WARNING|BUG|Oops|KASAN|hung task|blocked for more than|refcount_t|general protection' | head -n 3)
	{
		tables "$t" "$OUT/$t.raw"
		grep -q '^BENCH-END' "$OUT/$t.raw" || echo "   !! the guest did not finish: partial results"
		[ -z "$bad" ] || echo "   !! dmesg: $(echo "$bad" | tr '\n' ';' | cut -c1-300)"
		echo "   qemu $(( $(date +%s) - t0 ))s wall, $(vm_accel), $VM_SMP vCPUs, $VM_MEM"
	} > "$OUT/$t.txt"
	chart "$t" "$OUT/$t.raw" && log "chart: $OUT/$t.png"
done

echo
for t in "${TAGS[@]}"; do
	cat "$OUT/$t.txt"
	echo
done
echo "tables: $OUT/<tag>.txt, charts: $OUT/<tag>.png"
exit $rc
