#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# fuse2pt.ko loads beside the stock fuse: its own device node and
# filesystem types, and stock fuse still registered.
. /tests/lib.sh

t_start module-loaded
if [ ! -e "$T_MOD" ]; then
	t_fail "fuse2pt module missing (no fuse2pt.ko was built for this kernel)"
else
	t_check "fuse2pt in /proc/modules" grep -q '^fuse2pt ' /proc/modules
	t_check "/sys/module/fuse2pt exists" test -d /sys/module/fuse2pt
	t_pass
fi

t_start dev-fuse2pt-node
if t_need_module; then
	t_check "/dev/fuse2pt is a character device" test -c /dev/fuse2pt
	maj=$(stat -c %t /dev/fuse2pt) min=$(stat -c %T /dev/fuse2pt)
	t_note "/dev/fuse2pt is $((16#$maj)):$((16#$min)); /dev/fuse is $(stat -c '%t:%T' /dev/fuse 2>/dev/null)"
	t_check "/dev/fuse2pt is not the stock fuse minor" \
		test "$((16#$maj)):$((16#$min))" != "10:229"
	t_check "/dev/fuse2pt opens read-write" bash -c 'exec 3<>/dev/fuse2pt'
fi
t_pass

t_start fs-type-registered
t_need_module &&
	t_check "/proc/filesystems lists fuse2pt" grep -Eq '^nodev[[:space:]]+fuse2pt$' /proc/filesystems
t_pass

t_start stock-fuse-registered
t_check "/proc/filesystems lists fuse" grep -Eq '^nodev[[:space:]]+fuse$' /proc/filesystems
t_check "/dev/fuse is a character device" test -c /dev/fuse
t_check "/dev/fuse is misc 10:229" test "$(stat -c '%t:%T' /dev/fuse)" = "a:e5"
t_pass

t_start reload
if t_need_module; then
	t_check "rmmod fuse2pt" rmmod fuse2pt
	t_check "/dev/fuse2pt gone after rmmod" t_wait_for 5 test ! -e /dev/fuse2pt
	t_check "fuse2pt gone from /proc/filesystems" bash -c '! grep -qw fuse2pt /proc/filesystems'
	t_check "stock fuse still registered" grep -Eq '^nodev[[:space:]]+fuse$' /proc/filesystems
	t_check "insmod fuse2pt again" insmod "$T_MOD"
	t_check "/dev/fuse2pt back" t_wait_for 5 test -c /dev/fuse2pt
fi
t_pass

# Every guest boots with slub_debug=FZP (tests/lib/vm.sh): a write to
# freed memory then shows up as a poison report, which fails the run.
t_start slub-debug-active
t_check "the kernel command line asks for slub_debug=FZP" grep -qw 'slub_debug=FZP' /proc/cmdline
if t_need_module; then
	t_check "fuse2pt's request cache is poisoned on free" \
		test "$(cat /sys/kernel/slab/fuse2pt_request/poison 2>&1)" = 1
	t_check "... and red-zoned" test "$(cat /sys/kernel/slab/fuse2pt_request/red_zone 2>&1)" = 1
fi
t_pass

# An Oops or a soft lockup ends the guest at once (tests/lib/vm.sh), so
# that a broken kernel does not keep its run waiting for the timeout.
t_start panic-on-oops
t_check "an Oops panics the guest (oops=panic)" test "$(cat /proc/sys/kernel/panic_on_oops)" = 1
t_check "so does a soft lockup" test "$(cat /proc/sys/kernel/softlockup_panic 2>&1)" = 1
t_check "and a panic ends it (panic=-1: reboot, and qemu runs with -no-reboot)" \
	test "$(cat /proc/sys/kernel/panic)" = -1
t_pass
