#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# fuse2pt cannot be removed while something uses it (a mount, an open
# /dev/fuse2pt), and can once nothing does.
. /tests/lib.sh

# delete_module(2) itself (O_NONBLOCK, as rmmod), so the errno is the
# kernel's: EWOULDBLOCK (11) for a module in use.  kmod's rmmod checks the
# use count itself first and reports "is in use" (EBUSY) without calling it.
delete_module_errno() {
	perl -e 'exit(syscall(176, $ARGV[0], 2048) == -1 ? $! + 0 : 0)' fuse2pt
	echo $?
}

MNT=$T_WORK/mnt/hello

t_start refused-while-mounted
if t_need_module && t_mount fuse2pt "$MNT" hello_ll -f; then
	out=$(rmmod fuse2pt 2>&1)
	t_expect_eq "rmmod fuse2pt status while mounted" "$?" 1
	t_check "rmmod says the module is in use" grep -q 'in use' <<< "$out"
	t_expect_eq "delete_module errno while mounted" "$(delete_module_errno)" 11
	t_check "module still loaded" t_module_loaded
	t_expect_eq "mount still works" "$(cat "$MNT/hello")" "Hello World!"
	t_check "refcnt > 0" test "$(cat /sys/module/fuse2pt/refcnt)" -gt 0
fi
t_pass

t_start succeeds-after-umount
if t_is_mounted "$MNT"; then
	t_umount "$MNT"
	t_check "rmmod fuse2pt after umount" t_wait_for 5 rmmod fuse2pt
	t_check "module gone" bash -c '! grep -q "^fuse2pt " /proc/modules'
	t_check "insmod again" insmod "$T_MOD"
	t_check "/dev/fuse2pt back" t_wait_for 5 test -c /dev/fuse2pt
else
	t_fail "not mounted (see previous test)"
fi
t_pass

t_start refused-while-device-open
if t_need_module; then
	exec 3<>/dev/fuse2pt
	t_expect_eq "delete_module errno with /dev/fuse2pt open" "$(delete_module_errno)" 11
	out=$(rmmod fuse2pt 2>&1)
	t_check "rmmod says the module is in use" grep -q 'in use' <<< "$out"
	exec 3>&-
	t_check "rmmod after close" t_wait_for 5 rmmod fuse2pt
	t_check "insmod again" insmod "$T_MOD"
	t_check "/dev/fuse2pt back" t_wait_for 5 test -c /dev/fuse2pt
fi
t_pass

t_start stock-mount-does-not-pin
if t_need_module && t_mount fuse "$MNT" hello_ll -f; then
	t_check "rmmod fuse2pt with only stock fuse mounted" rmmod fuse2pt
	t_expect_eq "stock mount unaffected" "$(cat "$MNT/hello")" "Hello World!"
	t_umount "$MNT"
	t_check "insmod again" insmod "$T_MOD"
	t_check "/dev/fuse2pt back" t_wait_for 5 test -c /dev/fuse2pt
fi
t_pass
