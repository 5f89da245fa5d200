#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host checks of what needs no fuse2pt module: the three tools (built with
# tools/Makefile, as the packages build them) and their promises short of
# a mount: --help and --version (the file VERSION), mount(8)'s exit codes
# for bad usage, bad options, a missing program or mount point and not
# root, the -f dry run as an ordinary user (no module here: nothing is
# loaded, mounted or started), -v's flags by name and fsname='s
# unescaping in the dry run's plan; the manual pages (man -l, no
# warnings); and the build's headers checks (a missing KDIR is one line
# naming the package; a broken headers tree leaves no probes behind; the
# probes are redone when the headers under the same KDIR change).
#
#   tests/host/tools.sh OUTDIR
#
# Results: OUTDIR/results.log, lines "RESULT PASS|FAIL|SKIP host:NAME ...";
# tests/host/deb-dkms.sh runs it and counts them with its own.
set -uo pipefail
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/host/lib.sh"

need_root
host_results "$1"
VER=$(cat "$TOP/VERSION")

BAD=()
bad() { BAD+=("$*"); }
verdict() {	# NAME: PASS or FAIL with what bad() collected since the last
	if [ ${#BAD[@]} = 0 ]; then result PASS "$1"; else result FAIL "$1" "$(IFS=';'; echo "${BAD[*]}")"; fi
	BAD=()
}
# status_is WANT CMD...: CMD's status is WANT; its output is in $OUT/out
status_is() {
	local want=$1 rc=0
	shift
	"$@" > "$OUT/out" 2>&1 || rc=$?
	[ "$rc" = "$want" ] || bad "$*: status $rc, want $want ($(head -c 200 "$OUT/out" | tr '\n' ' '))"
}
said() { grep -Eq -- "$1" "$OUT/out" || bad "$2: '$(head -c 300 "$OUT/out" | tr '\n' ' ')' does not match /$1/"; }
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }

# --- build the tools as the packages do, where nobody can run them ---
B=$(mktemp -d /tmp/fuse2pt-tools.XXXXXX)
trap 'umount "$B/tmpfs" 2>/dev/null; rm -rf "$B"' EXIT
chmod 755 "$B"
cp -a "$TOP/tools" "$TOP/include" "$TOP/VERSION" "$TOP/man" "$B/"
make -C "$B/tools" clean >/dev/null 2>&1
if ! make -C "$B/tools" > "$OUT/build.log" 2>&1; then
	result FAIL tools-build "make -C tools failed (log $OUT/build.log)"
	exit 1
fi
grep -q 'warning:' "$OUT/build.log" && bad "warnings: $(grep -m1 'warning:' "$OUT/build.log")"
verdict tools-build
T=$B/tools
MNT=$B/mnt
mkdir -p "$MNT"
chmod 755 "$MNT"

# --- --help, --version, bad usage ---
for tool in mount.fuse2pt fuse2pt-mount fuse2pt-umount; do
	status_is 0 "$T/$tool" --help
	said "^usage: $tool " "$tool --help"
	status_is 0 "$T/$tool" --version
	[ "$(cat "$OUT/out")" = "$tool (fuse2pt) $VER" ] ||
		bad "$tool --version says '$(cat "$OUT/out")', want '$tool (fuse2pt) $VER'"
	status_is 0 "$T/$tool" -h
	status_is 1 "$T/$tool"
	said "^usage: $tool " "$tool without arguments"
	status_is 1 "$T/$tool" --no-such-option
done
verdict help-version-usage

# --- mount.fuse2pt's exit codes short of a mount ---
M=$T/mount.fuse2pt
cat > "$B/marker-prog" <<EOF
#!/bin/sh
touch $B/marker
EOF
chmod 755 "$B/marker-prog"
status_is 1 "$M" none
status_is 1 "$M" -t fuse2ptx none "$MNT"
said "unknown type 'fuse2ptx'" "unknown type"
status_is 1 "$M" -t fuse2pt none "$MNT"
said "needs the program in the source" "type fuse2pt without PROG#"
for o in user_id=5 fd=3 max_read=lots allow_other=yes =x allow_root drop_privileges=1 setuid=; do
	status_is 1 "$M" -t fuse2pt.ls -o "$o" none "$MNT"
	said "bad option" "-o $o"
done
status_is 1 "$M" -t fuse2pt.ls -o blksize=4096 none "$MNT"
said "bad option 'blksize=4096': blksize is for FUSE block-device mounts, which fuse2pt does not have" "-o blksize"
status_is 1 "$M" -t fuse2pt.ls -o setuid=no-such-user-here none "$MNT"
said "no such user" "unknown setuid= user"
status_is 1 nobody "$M" -t fuse2pt.ls none "$MNT"
said "only root can mount" "not root"
status_is 32 "$M" -t fuse2pt.no-such-program-here none "$MNT"
said "program 'no-such-program-here' not found" "missing program"
status_is 32 "$M" -t fuse2pt.ls none "$B/no/such/dir"
said "mount point .*/no/such/dir: No such file or directory" "missing mount point"
status_is 1 "$M" -N 1 -t fuse2pt.ls none "$MNT"
verdict mount-helper-exit-codes

# --- the dry run: as nobody, without the module ---
if [ -e /sys/module/fuse2pt ] || [ -e /dev/fuse2pt ]; then
	result SKIP dry-run "fuse2pt is loaded on this host: a dry run here cannot show that nothing loads it"
else
	rm -f "$B/marker"
	status_is 0 nobody "$M" -f -o 'ro,fsname=a\,b,drop_privileges,setuid=nobody,noexec,x-y=1,prog\,opt=1' \
		-t "fuse2pt.$B/marker-prog" /srv/src "$MNT"
	cp "$OUT/out" "$OUT/dry-run.out"
	said "^would run: modprobe fuse2pt \(/dev/fuse2pt is missing\)$" "dry run: modprobe"
	said "^would open /dev/fuse2pt as fd [0-9]+$" "dry run: the device"
	said "^would mount\(\"a,b\", \"$MNT\", \"fuse2pt.marker-prog\", MS_RDONLY\|MS_NOSUID\|MS_NODEV\|MS_NOEXEC, \"fd=[0-9]+,rootmode=40000,user_id=65534,group_id=65534\"\)$" \
		"dry run: the mount(2) call"
	said "^would run as nobody without capabilities, no_new_privs set: marker-prog /srv/src /dev/fd/[0-9]+ -o prog\\\\,opt=1 \($B/marker-prog\)$" \
		"dry run: the program"
	[ -e "$B/marker" ] && bad "the dry run ran the program"
	[ -e /sys/module/fuse2pt ] && bad "the dry run loaded the module"
	findmnt "$MNT" >/dev/null && bad "the dry run mounted $MNT"
	# the same as root with -v, and suid/dev given: flags follow (ls, an
	# ELF program without libfuse 3, would mount by itself: mount_by=program)
	status_is 0 "$M" -f -v -o suid,dev,sync -t fuse2pt.ls none "$MNT"
	said "^would serve the program's own mount\(2\) of $MNT \(mount_by=program\) as mount\(\"none\", \"$MNT\", \"fuse2pt.ls\", MS_SYNCHRONOUS, " \
		"dry run as root: flags by name"
	said "^would run: ls $MNT \(.*/ls\) with /usr/lib/fuse2pt/bin first in its PATH$" \
		"dry run as root: ls mounts by itself, fuse2pt's fusermount first in its PATH"
	verdict dry-run
fi

# --- fuse2pt-mount and fuse2pt-umount ---
if [ -e /dev/fuse2pt ]; then
	result SKIP fuse2pt-mount-no-device "/dev/fuse2pt exists on this host: cannot check the message for a missing device"
else
	status_is 32 "$T/fuse2pt-mount" "$MNT" /bin/true
	said "cannot open /dev/fuse2pt: No such file or directory \(is the fuse2pt module loaded\?\)" "fuse2pt-mount without the module"
	status_is 1 "$T/fuse2pt-mount" -t nonsense "$MNT" /bin/true
	verdict fuse2pt-mount-exit-codes
fi
U=$T/fuse2pt-umount
status_is 32 "$U" "$MNT"
said "is not mounted" "fuse2pt-umount of nothing"
status_is 32 "$U" -q "$MNT"
[ -s "$OUT/out" ] && bad "-q still printed: $(cat "$OUT/out")"
status_is 32 "$U" "$B/no/such/dir"
status_is 1 nobody "$U" "$MNT"
said "only root" "fuse2pt-umount as nobody"
mkdir -p "$B/tmpfs"
if mount -t tmpfs -o size=1m f2ptest "$B/tmpfs"; then
	status_is 32 "$U" "$B/tmpfs" "$MNT"
	said "is mounted as type tmpfs, not fuse2pt; not unmounting it" "fuse2pt-umount of a tmpfs"
	findmnt -n -o FSTYPE "$B/tmpfs" | grep -qx tmpfs || bad "fuse2pt-umount unmounted a tmpfs"
	umount "$B/tmpfs"
else
	bad "cannot mount a tmpfs to check that fuse2pt-umount leaves it"
fi
verdict fuse2pt-umount-exit-codes

# --- manual pages ---
for page in "$TOP"/man/*.[0-9]; do
	n=$(basename "$page")
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
	[ -z "$w" ] || bad "$n: man --warnings: $(head -n 2 <<< "$w" | tr '\n' ' ')"
	LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$page" 2>/dev/null | grep -q '^NAME' || bad "$n: renders no NAME section"
done
for tool in mount.fuse2pt fuse2pt-mount fuse2pt-umount; do
	[ -f "$TOP/man/$tool.8" ] || bad "no man/$tool.8"
done
[ -f "$TOP/man/fuse2pt.4" ] || bad "no man/fuse2pt.4"
for st in 0 1 2 32; do
	LC_ALL=C.UTF-8 man -l "$TOP/man/mount.fuse2pt.8" 2>/dev/null | grep -Eq "^ +$st\b" ||
		bad "mount.fuse2pt(8) does not document exit status $st"
done
verdict man-pages

# --- the build's headers checks (no module is built) ---
K=$B/kbuild
mkdir -p "$K"
cp -a "$TOP/Makefile" "$TOP/Kbuild" "$TOP/VERSION" "$TOP/compat" "$K/"
out=$(make -C "$K" KVER=0.0.0-none-here 2>&1)
rc=$?
[ $rc != 0 ] || bad "make with no headers for KVER succeeded"
[ "$(wc -l <<< "$out")" -le 3 ] || bad "make with no headers says more than one line: $out"
grep -q "apt-get install linux-headers-0.0.0-none-here" <<< "$out" || bad "make with no headers does not name the package: $out"
out=$(make -C "$K" KDIR=/nonexistent/kdir 2>&1)
[ $? != 0 ] && grep -q "KDIR=/nonexistent/kdir is not a kernel build or headers tree" <<< "$out" ||
	bad "make KDIR=/nonexistent/kdir: $out"
# a tree that builds nothing: the probes must not be kept, not even old ones
mkdir -p "$B/badk" "$K/include/generated"
printf 'all:\n\t@true\n' > "$B/badk/Makefile"
echo "/* generated by compat/probe.sh against $B/badk; do not edit */" > "$K/include/generated/fuse2pt_probes.h"
out=$(make -C "$K" KDIR="$B/badk" 2>&1)
[ $? != 0 ] || bad "make against a broken headers tree succeeded"
grep -q "do not build even an empty module" <<< "$out" || bad "make against a broken tree: $out"
[ -e "$K/include/generated/fuse2pt_probes.h" ] && bad "a failed probe run left include/generated/fuse2pt_probes.h"
verdict build-no-headers

# the probes follow the headers under one KDIR (a symlink moved between
# two installed trees, as an upgrade of the headers package moves files)
trees=()
for b in /lib/modules/*/build; do [ -f "$b/Makefile" ] && trees+=("$(readlink -f "$b")"); done
if [ ${#trees[@]} -lt 2 ]; then
	result SKIP build-probes-follow-headers "fewer than two kernel header trees on this host (${trees[*]:-none}): cannot change the headers under one KDIR"
else
	ln -sfn "${trees[0]}" "$B/kdir"
	P=$K/include/generated/fuse2pt_probes.h
	sh "$K/compat/probe.sh" "$B/kdir" "$P" > "$OUT/probe1.log" 2>&1 || bad "probe against ${trees[0]} failed"
	first=$(sed -n 2p "$P" 2>/dev/null)
	sh "$K/compat/probe.sh" "$B/kdir" "$P" > "$OUT/probe2.log" 2>&1
	grep -q PROBE "$OUT/probe2.log" && bad "the same headers were probed again"
	ln -sfn "${trees[1]}" "$B/kdir"
	sh "$K/compat/probe.sh" "$B/kdir" "$P" > "$OUT/probe3.log" 2>&1 || bad "probe against ${trees[1]} failed"
	grep -q PROBE "$OUT/probe3.log" || bad "other headers under the same KDIR were not probed again"
	[ "$(sed -n 2p "$P")" != "$first" ] || bad "the headers line did not change: $first"
	verdict build-probes-follow-headers
fi
log "host tools: $(grep -c '^RESULT PASS' "$RES") passed, $(grep -c '^RESULT FAIL' "$RES") failed"
