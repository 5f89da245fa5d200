#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# fuse2pt-ci's host mode (tools/fuse2pt-ci selftest) on a machine whose
# kernel loads modules: this guest.  With fuse2pt loaded it proves
# passthrough with libfuse's passthrough_hp (a backing file registered,
# the file read with no READ at the server) and exits 0, and so with the
# raw test server ptraw; with no module
# it says so and exits 1, and with --install it names the missing
# headers apt cannot fetch; --module loads a given fuse2pt.ko (the suite's,
# and the one DKMS built from the .deb on the host where the host stage
# left one: "from the packages"); a module that cannot be loaded is named
# with insmod's reason; bad input exits 2 before anything is loaded.
# The guest has no compiler and no network, so --install gets no further
# than the headers here (tests/host/ci-tool.sh runs the VM mode on the
# host).
. /tests/lib.sh

CI=$T_BIN/fuse2pt-ci
HP=$T_BIN/passthrough_hp
DKMS_KO=/opt/fuse2pt/mod-dkms/fuse2pt.ko
OUT=$T_WORK/ci-out

# selftest WANT-STATUS ARGS...: run it, its output in $OUT and on the console
selftest() {
	local want=$1 rc=0
	shift
	"$CI" selftest "$@" > "$OUT" 2>&1 || rc=$?
	sed 's/^/    /' "$OUT"
	t_expect_eq "fuse2pt-ci selftest $*: status" "$rc" "$want"
}
# re TEXT: TEXT as an ERE that matches it literally (7.3's release has a +)
re() { sed 's/[][\\.*^$+?(){}|]/\\&/g' <<< "$1"; }
# said ERE WHAT: the last selftest's output matches
said() {
	grep -Eq -- "$1" "$OUT" || _t_mark_fail "$2: the output does not match /$1/: $(tr '\n' ' ' < "$OUT" | cut -c1-300)"
}
# the control file system selftest mounts holds the module
unload() {
	! mountpoint -q /sys/fs/fuse2pt/connections || t_check "umount fuse2ptctl" umount /sys/fs/fuse2pt/connections
	t_module_loaded || return 0
	t_check "rmmod fuse2pt" rmmod fuse2pt
}

t_start bad-input
if [ ! -x "$CI" ] || [ ! -x "$HP" ]; then
	t_fail "fuse2pt-ci or passthrough_hp missing from the image ($CI, $HP)"
	exit 0
fi
selftest 2 --module /nonexistent/fuse2pt.ko
said 'does not exist' "a missing --module"
selftest 2 --server /nonexistent/server
said 'server /nonexistent/server does not exist' "a missing --server"
selftest 2 --frobnicate
said "unknown argument '--frobnicate'" "an unknown option"
t_pass

t_start loaded
t_need_module || { t_pass; exit 0; }
selftest 0 --server "$HP"
said "^  kernel: +$(re "$(uname -r)") " "the kernel"
said '^  module: +already loaded' "the module"
said '^  protocol: +7\.40' "the protocol"
said '^  passthrough: +yes: a backing file registered, 262144 bytes read through it, 0 READ requests' "passthrough"
t_expect_eq "fuse2pt mounts left" "$(awk '$3 ~ /^fuse2pt\./' /proc/mounts)" 
t_pass

# the raw test server the tool builds from the tree where it has a
# compiler (the guest has none: the suite's build of it)
t_start loaded-ptraw
selftest 0 --ptraw "$T_BIN/ptraw"
said '^  protocol: +7\.40 offered in INIT' "the protocol"
said '^  passthrough: +yes: a backing file registered, 262144 bytes read through it, 0 READ requests at the server \(ptraw\)' "passthrough"
t_pass

t_start no-module
unload
selftest 1 --server "$HP"
said '^  passthrough: +no$' "passthrough"
said "^  reason: +no fuse2pt module for $(re "$(uname -r)") \\(install the packages, or run with --install\\)" "the reason"
t_pass

# --install with no headers for the running kernel, and no network for
# apt to fetch them (the guest has neither): that is the reason
t_start no-headers
mkdir -p "$T_WORK/debs"
: > "$T_WORK/debs/fuse2pt-dkms_0_all.deb"
selftest 1 --server "$HP" --install --deb "$T_WORK/debs"
# (7.3's image has the headers package in dpkg's list, not its files)
K=$(re "$(uname -r)")
said "^  reason: +no kernel headers for $K(, and apt-get cannot install linux-headers-$K| in /lib/modules/$K/build, though apt-get has linux-headers-$K installed)\$" "the reason"
t_check "nothing was loaded" bash -c '! grep -q "^fuse2pt " /proc/modules'
t_pass

t_start unloadable-module
cp "$T_MOD" "$T_WORK/broken.ko"
truncate -s 4096 "$T_WORK/broken.ko"
selftest 1 --server "$HP" --module "$T_WORK/broken.ko"
said '^  reason: +insmod .*broken\.ko failed: ' "the reason names insmod's error"
t_check "nothing was loaded" bash -c '! grep -q "^fuse2pt " /proc/modules'
t_pass

t_start insmod-module
selftest 0 --server "$HP" --module "$T_MOD"
said "^  module: +insmod $(re "$T_MOD")" "the module"
said '^  passthrough: +yes' "passthrough"
unload
t_pass

t_start dkms-module
unload
if [ ! -e "$DKMS_KO" ]; then
	t_skip "no dkms-built fuse2pt.ko for $(uname -r): the host stage (tests/host/deb-dkms.sh, with case 70) did not run or has no headers for this kernel"
else
	selftest 0 --server "$HP" --module "$DKMS_KO"
	said "^  module: +insmod $(re "$DKMS_KO")" "the module"
	said '^  passthrough: +yes' "passthrough"
	unload
	t_pass
fi
