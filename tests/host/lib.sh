# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers the host-side test scripts share (sourced after
# tests/lib/common.sh):
#
#   host_results OUTDIR          start a fresh OUTDIR; OUT is OUTDIR, RES
#                                its results.log
#   result STATUS NAME [WHY...]  one line "RESULT PASS|FAIL|SKIP host:NAME
#                                [WHY]" in RES, and in the log; a SKIP
#                                stands out there
#   readme_block SECTION N       the Nth indented code block of README.md's
#                                "## SECTION..." section, indentation removed
#
# tests/host/deb-dkms.sh and tests/host/tools.sh use all three;
# tests/host/readme-walk.sh only readme_block (its results are its own).

host_results() {	# OUTDIR
	OUT=$1
	RES=$OUT/results.log
	rm -rf "$OUT"
	mkdir -p "$OUT"
	: > "$RES"
}

result() {	# STATUS NAME [WHY...]
	local st=$1 name=$2
	shift 2
	echo "RESULT $st host:$name${*:+ $*}" >> "$RES"
	case $st in
	SKIP) log "!!!!!!!! SKIPPED host:$name: $* !!!!!!!!" ;;
	*) log "$st host:$name${*:+: $*}" ;;
	esac
}

readme_block() {	# SECTION N
	awk -v sec="## $1" -v n="$2" '
		/^## / { insec = (index($0, sec) == 1); inb = 0; next }
		!insec { next }
		/^    +[^ ]/ {
			if (!inb) { k++; inb = 1; match($0, /^ +/); ind = RLENGTH }
			if (k == n) print substr($0, ind + 1)
			next
		}
		{ inb = 0 }' "$TOP/README.md"
}
