#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host stage of the suite: the Debian packages and DKMS, as a user meets
# them.  Builds the source package and fuse2pt-dkms and fuse2pt-utils
# with packaging/build-deb.sh; checks the packages (lintian -I --pedantic
# on the source package and the binaries, no tag left; their files and
# merged-/usr paths; only dh_dkms' postinst; the source package unpacks
# and builds the same binaries); installs them, checks that dh_dkms'
# postinst built the newest kernel, installs for the other kernels with
# headers (5.10 or later) as the README says, that an older kernel is
# refused, and what modinfo shows; hands each dkms-built module to the
# guest image of the same kernel (/opt/fuse2pt/mod-dkms, loaded by guest
# case 70-dkms-module); then runs the README's Uninstall block for the
# packages, verbatim, and checks that nothing is left.
#
#   tests/host/deb-dkms.sh OUTDIR [TAG...]
#
# TAGs (6.1 6.12 7.3) name the guest images $WORK/TAG/run.img to extend.
# Results: OUTDIR/results.log, lines "RESULT PASS|FAIL|SKIP host:NAME ...";
# the log of every command in OUTDIR/log.  It runs tests/host/tools.sh
# first (the tools' checks that need no package and no module) and counts
# its results with its own.
set -uo pipefail
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/host/lib.sh"

need_root
host_results "$1"
shift
TAGS=("$@")
WORK=${FUSE2PT_WORK:-$CACHE/work}
VER=$(cat "$TOP/VERSION")
# the packages' version: VERSION and the Debian revision of the changelog
DEBVER=$(sed -n '1s/^fuse2pt (\([^)]*\)).*/\1/p' "$TOP/packaging/debian/changelog")
LOG=$OUT/log

run() { echo "+ $*" >> "$LOG"; "$@" >> "$LOG" 2>&1; }

# The tools' own checks: no package, no module needed.
log "the tools on this host (tests/host/tools.sh)"
bash "$TOP/tests/host/tools.sh" "$OUT/tools" || true
if [ -s "$OUT/tools/results.log" ]; then
	cat "$OUT/tools/results.log" >> "$RES"
else
	result FAIL tools "tests/host/tools.sh gave no results"
fi

# Another run on this machine (a second work directory) waits here: two
# runs must not install and purge the same packages under each other.
exec {LOCK}>>/var/lock/fuse2pt-host-deb.lock
flock "$LOCK"

# Never replace what a person installed.
if dpkg-query -W -f='${Status}\n' fuse2pt-dkms fuse2pt-utils 2>/dev/null | grep -q 'installed' ||
   [ -e /var/lib/dkms/fuse2pt ] || ls -d /usr/src/fuse2pt-* >/dev/null 2>&1; then
	result SKIP deb "fuse2pt is already installed on this host (package, /var/lib/dkms/fuse2pt or /usr/src/fuse2pt-*); not touching it"
	exit 0
fi

# Kernels with headers here, and which of them fuse2pt supports.
KVERS=() OLD=()
for b in /lib/modules/*/build; do
	[ -e "$b/include" ] || continue
	k=${b#/lib/modules/}
	k=${k%/build}
	if [[ $k =~ ^(5\.[1-9][0-9]|[6-9]|[1-9][0-9])\. ]]; then KVERS+=("$k"); else OLD+=("$k"); fi
done
log "host kernels with headers: ${KVERS[*]:-none}${OLD[*]:+ (older than 5.10, not built: ${OLD[*]})}"

# --- build ---
need=()
for p in dpkg-dev debhelper dh-dkms dkms gcc make kmod lintian; do
	dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	log "installing ${need[*]}"
	if ! DEBIAN_FRONTEND=noninteractive run apt-get install -y -q --no-install-recommends "${need[@]}"; then
		run apt-get update -q
		DEBIAN_FRONTEND=noninteractive run apt-get install -y -q --no-install-recommends "${need[@]}"
	fi
fi

want=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$TOP/dkms.conf")
if [ "$want" = "$VER" ]; then
	result PASS dkms-conf-version
else
	result FAIL dkms-conf-version "dkms.conf PACKAGE_VERSION is '$want', VERSION is '$VER'"
fi

DEBS=$OUT/deb
log "building the packages (packaging/build-deb.sh)"
if ! run "$TOP/packaging/build-deb.sh" "$DEBS" || [ ! -f "$DEBS/fuse2pt_$DEBVER.dsc" ] ||
   [ ! -f "$DEBS/fuse2pt-dkms_${DEBVER}_all.deb" ] || ! ls "$DEBS"/fuse2pt-utils_"$DEBVER"_*.deb >/dev/null 2>&1; then
	result FAIL build-deb "dpkg-buildpackage did not produce the source package, fuse2pt-dkms and fuse2pt-utils (log $LOG)"
	tail -n 20 "$LOG" >&2
	exit 1
fi
result PASS build-deb

DSC=$DEBS/fuse2pt_$DEBVER.dsc
UTILS_DEB=$(ls "$DEBS"/fuse2pt-utils_"$DEBVER"_*.deb | head -n1)
DKMS_DEB=$DEBS/fuse2pt-dkms_${DEBVER}_all.deb
# (listed first: grep -q ending a pipe early fails it under pipefail)
utils=$(dpkg-deb -c "$UTILS_DEB" | awk '{ print $6 }')
dkms=$(dpkg-deb -c "$DKMS_DEB" | awk '{ print $6 }')

# what each package holds, at merged-/usr paths (nothing in /bin, /sbin
# or /lib: trixie and later forbid them), README and manual pages
bad=()
has() {	# LIST PACKAGE PATH...
	local list=$1 pkg=$2 f
	shift 2
	for f; do grep -qx "\./$f" <<< "$list" || bad+=("$pkg has no /$f"); done
}
has "$utils" fuse2pt-utils usr/sbin/mount.fuse2pt usr/bin/fuse2pt-umount usr/bin/fuse2pt-mount \
	usr/share/man/man8/mount.fuse2pt.8.gz usr/share/man/man8/fuse2pt-mount.8.gz \
	usr/share/man/man8/fuse2pt-umount.8.gz usr/share/doc/fuse2pt-utils/README.md.gz \
	usr/share/doc/fuse2pt-utils/copyright
has "$dkms" fuse2pt-dkms "usr/src/fuse2pt-$VER/dkms.conf" "usr/src/fuse2pt-$VER/Makefile" \
	usr/lib/udev/rules.d/60-fuse2pt.rules usr/share/man/man4/fuse2pt.4.gz \
	usr/share/doc/fuse2pt-dkms/README.md.gz usr/share/doc/fuse2pt-dkms/copyright
f=$(grep -E '^\./(bin|sbin|lib|lib64)/' <<< "$utils$dkms" | tr '\n' ' ')
[ -z "$f" ] && [ -n "$utils" ] && [ -n "$dkms" ] || bad+=("files outside merged /usr: ${f:-(or a package could not be listed)}")
grep -q '^Copyright: 2026 ' "$TOP/packaging/debian/copyright" || bad+=("debian/copyright has no 'Copyright: 2026 HOLDER'")
if [ ${#bad[@]} = 0 ]; then result PASS deb-contents; else result FAIL deb-contents "$(IFS=';'; echo "${bad[*]}")"; fi

# postinst is dh_dkms' snippet and nothing else: dkms decides the kernels
bad=()
pi=$(dpkg-deb -I "$DKMS_DEB" postinst 2>&1)
echo "$pi" > "$OUT/postinst"
grep -q '^# Automatically added by dh_dkms' <<< "$pi" || bad+=("no dh_dkms snippet")
own=$(awk '/^# Automatically added by dh_dkms/ { s = 1 } !s && !/^#!/ && !/^set -e$/ && !/^[[:space:]]*(#|$)/ { print }
	/^# End automatically added section/ { s = 0 }' <<< "$pi")
[ -z "$own" ] || bad+=("lines of its own outside dh_dkms' snippet: $(tr '\n' ';' <<< "$own" | cut -c1-200)")
if [ ${#bad[@]} = 0 ]; then result PASS postinst-dh-dkms-only; else result FAIL postinst-dh-dkms-only "$(IFS=';'; echo "${bad[*]}")"; fi

# lintian, pedantic with info tags, on the source package and every
# binary: no tag may be left (packaging/debian/*lintian-overrides hold the
# overridden ones, each with its reason)
if command -v lintian >/dev/null; then
	rc=0
	lt=$(lintian -I --pedantic --fail-on error,warning,info,pedantic "$DSC" "$DEBS"/*_"$DEBVER"_*.deb 2>&1) || rc=$?
	{ echo "+ lintian -I --pedantic $DSC $DEBS/*_${DEBVER}_*.deb (status $rc)"; echo "$lt"; } >> "$LOG"
	echo "$lt" > "$OUT/lintian.txt"
	tags=$(grep -E '^[EWIPXCO]: ' <<< "$lt")
	if [ $rc = 0 ] && [ -z "$tags" ]; then
		result PASS lintian "$(ls "$DSC" "$DEBS"/*_"$DEBVER"_*.deb | wc -l) files, no tags"
	else
		result FAIL lintian "status $rc: $(head -n 8 <<< "${tags:-$lt}" | tr '\n' ';' | cut -c1-600)"
	fi
else
	result FAIL lintian "lintian is not installed and could not be"
fi

# the source package: the upstream tarball is the whole tree (no debian/),
# and the unpacked .dsc builds the same binary packages
bad=()
orig=$(tar -tJf "$DEBS/fuse2pt_$VER.orig.tar.xz" 2>&1)
for f in README.md VERSION dkms.conf src/main.c tools/mount.fuse2pt.c man/fuse2pt.4 packaging/debian/control tests/run.sh; do
	grep -qx "fuse2pt-$VER/$f" <<< "$orig" || bad+=("the upstream tarball has no $f")
done
grep -q "^fuse2pt-$VER/debian/" <<< "$orig" && bad+=("the upstream tarball holds debian/")
X=$OUT/from-dsc
rm -rf "$X"
mkdir -p "$X"
if ! run dpkg-source -x "$DSC" "$X/fuse2pt-$VER"; then
	bad+=("dpkg-source -x failed (log $LOG)")
elif ! (cd "$X/fuse2pt-$VER" && run dpkg-buildpackage -us -uc -b); then
	bad+=("dpkg-buildpackage -b in the unpacked source package failed (log $LOG)")
else
	for d in "$DKMS_DEB" "$UTILS_DEB"; do
		x=$X/$(basename "$d")
		if [ ! -f "$x" ]; then bad+=("the unpacked source built no $(basename "$d")"); continue; fi
		cmp -s <(dpkg-deb -c "$d" | awk '{ print $1, $6 }') <(dpkg-deb -c "$x" | awk '{ print $1, $6 }') ||
			bad+=("$(basename "$d") from the .dsc holds other files than build-deb.sh's")
	done
fi
if [ ${#bad[@]} = 0 ]; then result PASS source-package; else result FAIL source-package "$(IFS=';'; echo "${bad[*]}")"; fi
rm -rf "$X"

# --- install (dh_dkms' postinst: dkms builds for the kernels it picks) ---
INSTALLED=0
purge() {
	INSTALLED=0
	DEBIAN_FRONTEND=noninteractive run apt-get purge -y -q fuse2pt-dkms fuse2pt-utils
}
# whatever happens from here on, the host gets its state back
trap '[ $INSTALLED = 0 ] || purge' EXIT
log "installing the packages (host kernels with headers: ${KVERS[*]:-none})"
t0=$(date +%s)
INSTALLED=1
if ! DEBIAN_FRONTEND=noninteractive run apt-get install -y -q --no-install-recommends \
	"$DEBS/fuse2pt-dkms_${DEBVER}_all.deb" "$DEBS"/fuse2pt-utils_"$DEBVER"_*.deb; then
	result FAIL install "apt-get install of the packages failed (log $LOG)"
	tail -n 30 "$LOG" >&2
	purge
	exit 1
fi
result PASS install
log "installed in $(( $(date +%s) - t0 ))s"

# dkms' own postinst builds for the running kernel and the newest one
# (every kernel when autoinstall_all_kernels is set or the running kernel
# is not installed, as in a container); the README then has
# "dkms install -k" for any other
built=() rest=()
for k in "${KVERS[@]}"; do
	if [[ $(dkms status -m fuse2pt -v "$VER" -k "$k" 2>&1) == *installed* ]]; then built+=("$k"); else rest+=("$k"); fi
done
log "dh_dkms' postinst built fuse2pt for: ${built[*]:-no kernel}"
if [ ${#KVERS[@]} -gt 0 ]; then
	newest=$(printf '%s\n' "${KVERS[@]}" | sort -V | tail -n1)
	if [[ " ${built[*]} " == *" $newest "* ]]; then
		result PASS dkms-postinst "built for ${built[*]}"
	else
		result FAIL dkms-postinst "the postinst did not build for the newest kernel $newest (built: ${built[*]:-none})"
	fi
fi
for k in "${rest[@]}"; do
	log "dkms install for $k, as README Install says for another kernel"
	run dkms install "fuse2pt/$VER" -k "$k" || log "dkms install -k $k failed (log $LOG)"
done

if [ ${#KVERS[@]} = 0 ]; then
	result SKIP dkms-status "no kernel headers (5.10 or later) installed on this host, nothing for DKMS to build"
fi
mkdir -p "$OUT/mod"
for k in "${KVERS[@]}"; do
	st=$(dkms status -m fuse2pt -v "$VER" -k "$k" 2>&1)
	ko=$(ls /lib/modules/"$k"/updates/dkms/fuse2pt.ko* 2>/dev/null | head -n1)
	if [[ $st != *installed* ]]; then
		result FAIL "dkms-status:$k" "dkms status says '$st', want installed"
		continue
	elif [ -z "$ko" ]; then
		result FAIL "dkms-status:$k" "installed, but no /lib/modules/$k/updates/dkms/fuse2pt.ko*"
		continue
	fi
	result PASS "dkms-status:$k"
	mlog=/var/lib/dkms/fuse2pt/$VER/$k/x86_64/log/make.log
	if grep -Eq '(^|[^A-Za-z_])(warning|WARNING):' "$mlog" 2>/dev/null; then
		result FAIL "dkms-build-clean:$k" "the DKMS build printed warnings: $(grep -m1 -E 'warning:' "$mlog" | cut -c1-200)"
		cp "$mlog" "$OUT/make-$k.log"
	fi

	# modprobe finds it, and modinfo tells what it is
	bad=()
	modprobe -S "$k" --show-depends fuse2pt 2>&1 | grep -q "updates/dkms/fuse2pt.ko" ||
		bad+=("modprobe -S $k does not resolve fuse2pt to the dkms module")
	[ "$(modinfo -k "$k" -F version fuse2pt 2>/dev/null)" = "$VER" ] || bad+=("modinfo version is not $VER")
	[ -n "$(modinfo -k "$k" -F description fuse2pt 2>/dev/null)" ] || bad+=("no description")
	modinfo -k "$k" -F alias fuse2pt 2>/dev/null | grep -qx fs-fuse2pt || bad+=("no alias fs-fuse2pt")
	while IFS= read -r p; do
		[ -n "$p" ] || continue
		d=${p#*:}
		d=${d% (*)}
		[ -n "${d// /}" ] || bad+=("parameter ${p%%:*} has no description")
	done < <(modinfo -k "$k" -F parm fuse2pt 2>/dev/null)
	grep -q '^updates/dkms/fuse2pt.ko' "/lib/modules/$k/modules.dep" 2>/dev/null || bad+=("not in modules.dep")
	if [ ${#bad[@]} = 0 ]; then
		result PASS "modinfo:$k"
		log "  $k: $(modinfo -k "$k" -F parm fuse2pt | wc -l) parameter(s), aliases $(modinfo -k "$k" -F alias fuse2pt | tr '\n' ' ')"
	else
		result FAIL "modinfo:$k" "$(IFS=';'; echo "${bad[*]}")"
	fi

	mkdir -p "$OUT/mod/$k"
	case $ko in
	*.xz) xz -dc "$ko" > "$OUT/mod/$k/fuse2pt.ko" ;;
	*.zst) zstd -qdc "$ko" > "$OUT/mod/$k/fuse2pt.ko" ;;
	*.gz) gzip -dc "$ko" > "$OUT/mod/$k/fuse2pt.ko" ;;
	*) cp "$ko" "$OUT/mod/$k/fuse2pt.ko" ;;
	esac
done

# dkms.conf refuses kernels older than 5.10 with its own status
out=$(dkms build -m fuse2pt -v "$VER" -k 5.9.0-1-amd64 2>&1)
rc=$?
echo "$out" >> "$LOG"
if [ $rc = 77 ] && grep -q 'BUILD_EXCLUSIVE' <<< "$out"; then
	result PASS refuses-old-kernel
else
	result FAIL refuses-old-kernel "dkms build -k 5.9.0-1-amd64: status $rc, want 77 and the BUILD_EXCLUSIVE message: $(tail -n2 <<< "$out" | tr '\n' ' ')"
fi

# the helpers, where mount(8) and users find them
bad=()
[ -x /usr/sbin/mount.fuse2pt ] || bad+=("no /usr/sbin/mount.fuse2pt")
[ -x /sbin/mount.fuse2pt ] || bad+=("mount(8) looks in /sbin and finds no mount.fuse2pt there")
[ -x /usr/bin/fuse2pt-umount ] || bad+=("no /usr/bin/fuse2pt-umount")
[ -f /usr/lib/udev/rules.d/60-fuse2pt.rules ] || bad+=("no udev rule")
# fuse2pt's fusermount, which mount.fuse2pt puts first in programs' PATH
for f in fusermount fusermount3; do
	[ -x /usr/lib/fuse2pt/bin/$f ] || bad+=("no /usr/lib/fuse2pt/bin/$f")
done
/usr/lib/fuse2pt/bin/fusermount3 -V 2>&1 | grep -q "^fusermount3 (fuse2pt) $VER$" ||
	bad+=("/usr/lib/fuse2pt/bin/fusermount3 -V says '$(/usr/lib/fuse2pt/bin/fusermount3 -V 2>&1)'")
/sbin/mount.fuse2pt -h 2>&1 | grep -q 'fuse2pt.PROG' || bad+=("mount.fuse2pt -h says no usage")
[ "$(/sbin/mount.fuse2pt --version 2>&1)" = "mount.fuse2pt (fuse2pt) $VER" ] ||
	bad+=("mount.fuse2pt --version says '$(/sbin/mount.fuse2pt --version 2>&1)'")
out=$(/sbin/mount.fuse2pt -t fuse2pt.no-such-program-here none /tmp 2>&1)
rc=$?
{ [ $rc = 32 ] && grep -q "not found" <<< "$out"; } || bad+=("missing program: status $rc (want 32), '$out'")
for page in mount.fuse2pt fuse2pt-mount fuse2pt-umount "4 fuse2pt"; do
	# shellcheck disable=SC2086
	man -w $page >/dev/null 2>&1 || bad+=("man $page finds no page")
done
if [ ${#bad[@]} = 0 ]; then result PASS helpers; else result FAIL helpers "$(IFS=';'; echo "${bad[*]}")"; fi

# --- the dkms-built modules go to the guests of the same kernel ---
for t in "${TAGS[@]}"; do
	k=$(cat "$CACHE/kernels/$t/KVER" 2>/dev/null)
	img=$WORK/$t/run.img
	if [ -z "$k" ]; then
		log "guest $t: no such kernel in $CACHE/kernels"
		continue
	elif [ ! -f "$OUT/mod/$k/fuse2pt.ko" ]; then
		log "guest $t ($k): no dkms-built module (no headers for it on this host)"
		continue
	elif [ ! -f "$img" ]; then
		log "guest $t ($k): no guest image $img to put the dkms-built module in"
		continue
	fi
	# an initramfs may be several concatenated archives; the last wins
	st=$OUT/overlay-$t
	mkdir -p "$st/opt/fuse2pt/mod-dkms"
	cp "$OUT/mod/$k/fuse2pt.ko" "$st/opt/fuse2pt/mod-dkms/"
	echo "$k" > "$st/opt/fuse2pt/mod-dkms/KVER"
	(cd "$st" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | zstd -q >> "$img"
	log "guest $t: the dkms-built fuse2pt.ko for $k is in /opt/fuse2pt/mod-dkms"
done

# --- the README's Uninstall block for the packages, pasted whole ---
# Its first block is the package way's.  It runs as a shell script that
# stops at the first failing line; sudo is a no-op where it is missing
# (this runs as root), and apt's question is answered yes.
U=$OUT/uninstall-packages.sh
readme_block Uninstall 1 > "$U"
if ! grep -q '^sudo apt-get purge fuse2pt-dkms fuse2pt-utils' "$U"; then
	result FAIL readme-uninstall "README \"Uninstall\" block 1 is not the package way's (no apt-get purge line): $(tr '\n' '|' < "$U")"
	purge
else
	mkdir -p "$OUT/shim"
	command -v sudo >/dev/null || printf '#!/bin/sh\nexec "$@"\n' > "$OUT/shim/sudo"
	chmod 755 "$OUT/shim/sudo" 2>/dev/null
	echo 'APT::Get::Assume-Yes "true";' > "$OUT/apt-yes.conf"
	echo "+ README Uninstall block 1: $(tr '\n' '|' < "$U")" >> "$LOG"
	if (cd "$TOP" && PATH=$OUT/shim:$PATH APT_CONFIG=$OUT/apt-yes.conf DEBIAN_FRONTEND=noninteractive \
		bash -e -x "$U") >> "$LOG" 2>&1; then
		result PASS readme-uninstall "$(wc -l < "$U") lines"
		INSTALLED=0
	else
		result FAIL readme-uninstall "README \"Uninstall\" block 1 failed (log $LOG); purging with apt-get"
		purge
	fi
fi
left=()
ls -d /usr/src/fuse2pt* >/dev/null 2>&1 && left+=("/usr/src/fuse2pt*")
[ -e /var/lib/dkms/fuse2pt ] && left+=("/var/lib/dkms/fuse2pt")
f=$(find /lib/modules -name 'fuse2pt*' 2>/dev/null | head -n3 | tr '\n' ' ')
[ -n "$f" ] && left+=("$f")
for k in "${KVERS[@]}"; do
	grep -qs fuse2pt "/lib/modules/$k/modules.dep" "/lib/modules/$k/modules.alias" && left+=("fuse2pt in /lib/modules/$k/modules.{dep,alias}")
done
for f in /sbin/mount.fuse2pt /usr/sbin/mount.fuse2pt /usr/bin/fuse2pt-umount /usr/bin/fuse2pt-mount \
	 /lib/udev/rules.d/60-fuse2pt.rules /usr/lib/udev/rules.d/60-fuse2pt.rules \
	 /usr/share/doc/fuse2pt-dkms /usr/share/doc/fuse2pt-utils /usr/share/man/man4/fuse2pt.4.gz \
	 /usr/share/man/man8/mount.fuse2pt.8.gz /usr/lib/fuse2pt; do
	[ -e "$f" ] && left+=("$f")
done
dpkg-query -W -f='${db:Status-Status}\n' fuse2pt-dkms fuse2pt-utils 2>/dev/null | grep -qv '^not-installed$' &&
	left+=("dpkg still knows the packages: $(dpkg-query -W -f='${Package}=${db:Status-Status} ' fuse2pt-dkms fuse2pt-utils 2>/dev/null)")
[ -n "$(dkms status -m fuse2pt 2>/dev/null)" ] && left+=("dkms status still lists fuse2pt")
if [ ${#left[@]} = 0 ]; then
	result PASS purge-leaves-nothing
else
	result FAIL purge-leaves-nothing "left behind: ${left[*]}"
fi
