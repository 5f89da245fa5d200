#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What an installed fuse2pt gives a system without anyone typing insmod:
#   - packaging/udev/60-fuse2pt.rules passes `udevadm verify`, udevadm
#     test shows it setting MODE 0666 on fuse2pt, and with systemd-udevd
#     running /dev/fuse2pt is 0666 root:root after a load and after an
#     event for a node whose mode was changed;
#   - with the module where modprobe finds it (depmod), mount(2) of type
#     fuse2pt loads it through the fs-fuse2pt alias, and mount.fuse2pt
#     loads it with modprobe when /dev/fuse2pt is missing.
# The guest has no /lib/modules for the running kernel; the case makes
# one with the suite's fuse2pt.ko, and removes it and the rule again.
# timeout: 180
. /tests/lib.sh

RULE=/opt/fuse2pt/udev/60-fuse2pt.rules
UDEVD=/usr/lib/systemd/systemd-udevd
EXTRA=/lib/modules/$(uname -r)/extra
MNT=$T_WORK/mnt/alias-hello

# udev_stop: end systemd-udevd and its workers. `udevadm control --exit`
# may return while they still run (systemd 257 in trixie's guest did), so
# wait for them, then TERM and KILL what is left; fail if any survives.
udev_gone() { ! pgrep -x 'systemd-udevd|udev-worker|\(udev-worker\)' > /dev/null; }
udev_stop() {
	local how="on udevadm control --exit"
	udevadm control --exit 2>/dev/null
	if ! t_wait_for 10 udev_gone; then
		how="after SIGTERM"
		pkill -TERM -x 'systemd-udevd|\(udev-worker\)|udev-worker'
		t_wait_for 5 udev_gone ||
			{ how="after SIGKILL"; pkill -KILL -x 'systemd-udevd|\(udev-worker\)|udev-worker'; }
	fi
	t_wait_for 5 udev_gone && t_note "systemd-udevd ended $how"
	t_check "systemd-udevd and its workers ended" udev_gone
	rm -f /etc/udev/rules.d/60-fuse2pt.rules
}

# udev_mode_after_event: chmod the node away from 0666, have udev handle
# a change event for it, print the mode it ends with
udev_mode_after_event() {
	chmod 600 /dev/fuse2pt
	udevadm trigger --action=change --settle /sys/class/misc/fuse2pt 2>&1 | sed 's/^/  | /'
	udevadm settle -t 10
	stat -c '%a %U:%G' /dev/fuse2pt
}

t_start setup
command -v udevadm > /dev/null && [ -x "$UDEVD" ] ||
	t_die "udev missing in the guest image (package udev, tests/lib/guest-image.sh)"
[ -f "$RULE" ] || t_die "$RULE missing from the overlay (tests/lib/build.sh)"
t_need_module || t_die "no fuse2pt module"
t_pass

t_start udev-rule-verifies
t_check "udevadm verify 60-fuse2pt.rules" udevadm verify --resolve-names=never "$RULE"
t_pass

t_start udev-rule-sets-mode
t_check "systemd-udevd starts" "$UDEVD" --daemon --resolve-names=never
t_wait_for 10 udevadm control --ping
# Without the rule, udev takes the mode the module asks for from the
# event (DEVMODE); the rule says the same in udev's own terms.
t_note "without the rule, after chmod 600 and a change event: $(udev_mode_after_event)"
cp "$RULE" /etc/udev/rules.d/
udevadm control --reload
t_expect_eq "with the rule, after chmod 600 and a change event" "$(udev_mode_after_event)" "666 root:root"
udevadm test /sys/class/misc/fuse2pt > "$T_WORK/udev-test" 2>&1
grep -i 'fuse2pt.rules:' "$T_WORK/udev-test" | sed 's/^/  | /'
t_check "udevadm test: the rule sets MODE 0666" grep -q '60-fuse2pt.rules:[0-9]* MODE 0666' "$T_WORK/udev-test"
# a fresh load: the add event goes through the rule too
t_check "rmmod fuse2pt" rmmod fuse2pt
t_check "insmod fuse2pt" insmod "$T_MOD"
udevadm settle -t 10
t_wait_for 5 test -c /dev/fuse2pt
t_expect_eq "after insmod" "$(stat -c '%a %U:%G' /dev/fuse2pt 2>&1)" "666 root:root"
udev_stop
t_pass

t_start alias-loads-module
mkdir -p "$EXTRA" "$MNT"
cp "$T_MOD" "$EXTRA/"
t_check "depmod" depmod -a
t_expect_eq "modinfo finds fuse2pt" "$(modinfo -F alias fuse2pt 2>&1 | grep -x fs-fuse2pt)" fs-fuse2pt
t_check "rmmod fuse2pt" rmmod fuse2pt
# No fd= option: the mount itself fails, after the kernel loaded the
# file system's module by its alias.
t_check_fails "mount -t fuse2pt without a device fails" mount -i -t fuse2pt none "$MNT"
t_check "the kernel loaded fuse2pt for the mount (fs-fuse2pt)" t_module_loaded
t_pass

t_start helper-loads-module
t_check "rmmod fuse2pt" rmmod fuse2pt
ln -sf "$T_BIN/mount.fuse2pt" /usr/sbin/mount.fuse2pt
ln -sf "$T_BIN/hello_ll" /usr/local/bin/hello_ll	# mount(8) clears PATH
if t_check "mount -t fuse2pt.hello_ll with the module unloaded" mount -t fuse2pt.hello_ll none "$MNT"; then
	t_check "module loaded by mount.fuse2pt" t_module_loaded
	t_expect_eq "content" "$(cat "$MNT/hello" 2>&1)" "Hello World!"
	t_check "fuse2pt-umount" "$T_BIN/fuse2pt-umount" "$MNT"
	t_wait_for 20 bash -c '! pgrep -x hello_ll >/dev/null'
	t_check "hello_ll exited after umount" bash -c '! pgrep -x hello_ll >/dev/null'
fi
rm -f /usr/sbin/mount.fuse2pt /usr/local/bin/hello_ll
t_pass

t_start cleanup-modules
# back to the suite's own module, loaded from its usual place
rm -rf "/lib/modules/$(uname -r)"
t_module_loaded || t_check "insmod fuse2pt" insmod "$T_MOD"
t_check "fuse2pt loaded" t_module_loaded
t_pass
