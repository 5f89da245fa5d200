#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of tests/host/readme-walk.sh: runs at boot of the fresh
# Debian 12 system (systemd unit fuse2pt-walk.service, as root) after the
# README's install steps were done in its chroot.  It plays the user on
# the booted machine: loads the DKMS-built module, runs the README's
# passthrough commands and its lines that mount Debian's FUSE programs
# (copied verbatim from README.md by the host into /opt/walk/*), checks
# what they claim, then runs the README's Uninstall lines and checks that
# nothing of fuse2pt is left.
#
# Results go to the second serial port (/dev/ttyS1), one line each:
#   RESULT PASS|FAIL walk:NAME [why]      TIME NAME SECONDS      ALL-DONE
# Everything else (commands, their output) goes to the console (ttyS0).
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
W=/opt/walk
exec 3>/dev/ttyS1
exec > /dev/console 2>&1

say()    { echo "walk: $*"; }
result() {	# PASS|FAIL NAME [WHY...]
	local st=$1 name=$2
	shift 2
	echo "RESULT $st walk:$name${*:+ $*}" >&3
	say "RESULT $st walk:$name${*:+ $*}"
}
check()  {	# NAME WHY-IF-FAILED CMD...   PASS when CMD succeeds
	local name=$1 why=$2
	shift 2
	if "$@"; then result PASS "$name"; else result FAIL "$name" "$why"; fi
}
T0=$SECONDS
timing() { echo "TIME $1 $((SECONDS - T0))" >&3; T0=$SECONDS; }
# run a README block (a file of verbatim lines) as the user would type it
readme() {	# FILE [bash options]
	local f=$1
	shift
	say "--- README commands ($f):"
	sed 's/^/walk:   | /' "$f"
	bash "$@" -x "$f"
}
mounted() { findmnt -rn "$1" >/dev/null 2>&1; }
wait_gone() {	# PATTERN: wait up to 10 s until no process matches
	local i
	for ((i = 0; i < 50; i++)); do
		pgrep -f "$1" >/dev/null || return 0
		sleep 0.2
	done
	return 1
}

say "kernel $(uname -r), $(nproc) cpus"
udevadm settle -t 30 || true

# --- the module DKMS built in the chroot ---
if modprobe fuse2pt; then result PASS modprobe; else result FAIL modprobe "modprobe fuse2pt failed"; fi
f=$(modinfo -F filename fuse2pt 2>/dev/null)
check module-is-dkms "modinfo says ${f:-nothing}, want /lib/modules/$(uname -r)/updates/dkms/fuse2pt.ko" \
	test "$f" = "/lib/modules/$(uname -r)/updates/dkms/fuse2pt.ko"
say "modinfo: $(modinfo -F version fuse2pt) $(modinfo -F description fuse2pt)"
udevadm settle -t 30 || true
m=$(stat -c %a /dev/fuse2pt 2>/dev/null)
check dev-mode-0666 "/dev/fuse2pt mode is '${m:-missing}', want 666" test "$m" = 666
u=$(udevadm info -q property -n /dev/fuse2pt 2>/dev/null | grep -c '^DEVNAME=')
check dev-udev "udev does not know /dev/fuse2pt" test "$u" = 1
timing module

# --- README: mount -t fuse2pt.passthrough_hp (all lines but the umount) ---
head -n -1 $W/pt-mount.sh > /tmp/pt-mount-head.sh
tail -n 1 $W/pt-mount.sh > /tmp/pt-mount-tail.sh
if readme /tmp/pt-mount-head.sh -e; then result PASS readme-mount
else result FAIL readme-mount "the README's mount commands failed"; fi
t=$(findmnt -rn -o FSTYPE /mnt/pt 2>/dev/null)
check mount-type "findmnt /mnt/pt says type '${t:-not mounted}'" test "$t" = fuse2pt.passthrough_hp
check server-running "no passthrough_hp process" eval 'pgrep -x passthrough_hp >/dev/null'

if mounted /mnt/pt; then
	# data through the mount, checked on the backing directory and back
	bad=()
	echo "hello from the README walk" > /mnt/pt/hello || bad+=("write hello")
	[ "$(cat /srv/data/hello 2>/dev/null)" = "hello from the README walk" ] || bad+=("hello not in /srv/data")
	head -c 8M /dev/urandom > /tmp/big
	dd if=/tmp/big of=/mnt/pt/big bs=1M status=none || bad+=("dd to /mnt/pt/big")
	sync
	cmp /tmp/big /srv/data/big || bad+=("/srv/data/big differs from what was written")
	cmp /tmp/big /mnt/pt/big || bad+=("/mnt/pt/big reads back different")
	head -c 3M /dev/urandom > /srv/data/frombacking
	cmp /srv/data/frombacking /mnt/pt/frombacking || bad+=("a file written to /srv/data reads different through /mnt/pt")
	printf 'tail' >> /mnt/pt/hello || bad+=("append")
	[ "$(cat /mnt/pt/hello)" = "$(printf 'hello from the README walk\ntail')" ] || bad+=("append reads back wrong")
	mv /mnt/pt/frombacking /mnt/pt/renamed && [ -f /srv/data/renamed ] || bad+=("rename")
	rm /mnt/pt/renamed /mnt/pt/big && [ ! -e /srv/data/big ] || bad+=("unlink")
	ls -la /mnt/pt
	if [ ${#bad[@]} = 0 ]; then result PASS data; else result FAIL data "$(IFS=';'; echo "${bad[*]}")"; fi
fi
if readme /tmp/pt-mount-tail.sh -e; then result PASS readme-umount
else result FAIL readme-umount "the README's fuse2pt-umount failed"; fi
check unmounted "/mnt/pt still mounted after fuse2pt-umount" eval '! mounted /mnt/pt'
check server-exits "passthrough_hp still runs 10 s after the umount" wait_gone '^passthrough_hp '
timing mount

# --- README: passthrough is active (the connection's counters, server debug output, /proc/PID/maps) ---
rm -f /tmp/pt-debug.log
readme $W/pt-debug.sh > /tmp/pt-debug.out 2>&1
cat /tmp/pt-debug.out
D=/tmp/pt-debug.log
check debug-log "no libfuse debug output in $D (no 'opcode: INIT')" grep -q 'opcode: INIT' $D
check data-debug "/mnt/pt/somefile or /srv/data/somefile differ from /tmp/somefile" \
	eval 'cmp /tmp/somefile /srv/data/somefile'
n_open=$(grep -c 'opcode: OPEN' $D)
n_rw=$(grep -cE 'opcode: (READ|WRITE) ' $D)
say "server debug: $n_open OPEN, $n_rw READ/WRITE requests"
grep -E 'opcode: (READ|WRITE) ' $D | head -n 5
check passthrough-open "no OPEN in the server's debug output" test "$n_open" -ge 1
check passthrough-no-rw "$n_rw READ/WRITE requests reached the server: passthrough is not active" test "$n_rw" = 0
# what the README's grep of the connection directory printed (FILE:VALUE)
counter() { sed -n "s|^/sys/fs/fuse2pt/connections/[0-9]*/$1:||p" /tmp/pt-debug.out | head -n1; }
rb=$(counter passthrough_read_bytes) wb=$(counter passthrough_write_bytes) rf=$(counter passthrough_refused)
say "counters: read ${rb:-?}, written ${wb:-?}, refused ${rf:-?}"
check passthrough-counters "the connection directory says ${rb:-nothing} read, ${wb:-nothing} written, ${rf:-nothing} refused; want 1048576 or more each way, 0 refused" \
	test "${rb:-0}" -ge 1048576 -a "${wb:-0}" -ge 1048576 -a "${rf:-x}" = 0
line=$(grep -E '^[0-9a-f]+-[0-9a-f]+ .* /(mnt/pt|srv/data)/somefile$' /tmp/pt-debug.out | head -n1)
say "maps: ${line:-none}"
read -r _ _ _ mdev mino mpath _ <<< "$line"
want=$(printf '%02x:%02x' "$(stat -c %Hd /srv/data/somefile)" "$(stat -c %Ld /srv/data/somefile)")
wino=$(stat -c %i /srv/data/somefile)
# README: the backing file on 6.1 (path, device, inode), the FUSE file later
case $(uname -r) in
6.1.*)	check mmap-backing "maps shows device ${mdev:-?} inode ${mino:-?}, want the backing file's $want $wino" \
		test "${mdev:-}" = "$want" -a "${mino:-}" = "$wino"
	check mmap-path "maps shows ${mpath:-no path}, want /srv/data/somefile" test "${mpath:-}" = /srv/data/somefile ;;
*)	check mmap-path "maps shows ${mpath:-no path}, want /mnt/pt/somefile" test "${mpath:-}" = /mnt/pt/somefile ;;
esac
check unmounted-debug "/mnt/pt still mounted after the README's fuse2pt-umount" eval '! mounted /mnt/pt'
check server-exits-debug "passthrough_hp still runs 10 s after the umount" wait_gone '^passthrough_hp '

# the same check must fail without passthrough (README: "with --nopassthrough, they do")
fuse2pt-mount /mnt/pt passthrough_hp --nopassthrough --debug-fuse --foreground /srv/data 2> /tmp/nopt.log &
sleep 2
cat /mnt/pt/somefile > /dev/null
echo x >> /mnt/pt/somefile
n_rw=$(grep -cE 'opcode: (READ|WRITE) ' /tmp/nopt.log)
check nopassthrough-shows-rw "with --nopassthrough, $n_rw READ/WRITE requests in the debug output, want some" test "$n_rw" -ge 2
C=/sys/fs/fuse2pt/connections/$(mountpoint -d /mnt/pt | cut -d: -f2)
n_pt="$(cat "$C/passthrough_read_bytes" 2>&1) $(cat "$C/passthrough_write_bytes" 2>&1)"
check nopassthrough-counters "with --nopassthrough, the counters say '$n_pt' read and written, want '0 0'" test "$n_pt" = "0 0"
fuse2pt-umount /mnt/pt
wait_gone '^passthrough_hp ' || true
timing passthrough

# --- README: Mount FUSE programs (Debian 12's bindfs, squashfuse, sshfs, gocryptfs, rclone) ---
# What a user has before the README's lines: something to serve.  /srv/data
# holds the passthrough section's files; squashfuse serves an image of it,
# sshfs this machine's /srv/data over ssh as root, gocryptfs a fresh
# cipher directory, rclone an alias remote.
mkdir -p /srv/data/sub /srv/cipher /srv/rclone-root/dir /root/.ssh /root/.config/rclone \
	/mnt/data /mnt/image /mnt/remote /mnt/plain /mnt/old /mnt/r
chmod 700 /root/.ssh
head -c 1M /dev/urandom > /srv/data/sub/blob
echo "a small file" > /srv/data/sub/small
ln -sf sub/small /srv/data/link
fx=()
mksquashfs /srv/data /srv/image.sqfs -noappend -quiet > /dev/null || fx+=("mksquashfs")
printf 'walk-passphrase\n' > /root/gocryptfs.pw
chmod 600 /root/gocryptfs.pw
gocryptfs -init -q -passfile /root/gocryptfs.pw /srv/cipher || fx+=("gocryptfs -init")
rm -f /root/.ssh/id_ed25519 /root/.ssh/id_ed25519.pub
ssh-keygen -q -t ed25519 -N '' -f /root/.ssh/id_ed25519 || fx+=("ssh-keygen")
cat /root/.ssh/id_ed25519.pub >> /root/.ssh/authorized_keys
systemctl start ssh || fx+=("systemctl start ssh")
ssh-keyscan -t ed25519 localhost > /root/.ssh/known_hosts 2>/dev/null
[ -s /root/.ssh/known_hosts ] || fx+=("ssh-keyscan localhost")
ssh -o BatchMode=yes root@localhost true || fx+=("ssh root@localhost")
printf '[remote]\ntype = alias\nremote = /srv/rclone-root\n' > /root/.config/rclone/rclone.conf
echo "through rclone" > /srv/rclone-root/dir/hello
if [ ${#fx[@]} = 0 ]; then result PASS progs-fixtures
else result FAIL progs-fixtures "could not set up: ${fx[*]}"; fi
for p in bindfs squashfuse sshfs gocryptfs rclone; do
	say "$p: $(dpkg-query -W -f='${Version}' "$p" 2>&1), $(ldd "$(command -v "$p")" 2>&1 | grep -o 'libfuse[0-9]*\.so\.[0-9]*' | head -n1 || true)"
done

# each line but the umount, then a data check through every mount
head -n -1 $W/progs-mount.sh > /tmp/progs-head.sh
tail -n 1 $W/progs-mount.sh > /tmp/progs-tail.sh
if readme /tmp/progs-head.sh -e; then result PASS readme-progs-mount
else result FAIL readme-progs-mount "the README's mount lines failed"; fi
fstype() { findmnt -rn -o FSTYPE "$1" 2>/dev/null | tail -n1; }
prog_check() {	# NAME MNT TYPE CHECK...: the mount's type, then CHECK
	local name=$1 mnt=$2 type=$3 t
	shift 3
	t=$(fstype "$mnt")
	if [ "$t" != "$type" ]; then
		result FAIL "$name" "$mnt: type '${t:-not mounted}', want $type"
	elif "$@"; then
		result PASS "$name" "$mnt is $type"
	else
		result FAIL "$name" "$mnt ($type): $*: failed"
	fi
}
same_tree() { diff -r --no-dereference "$1" "$2"; }
prog_check bindfs /mnt/data fuse2pt.bindfs same_tree /srv/data /mnt/data
prog_check bindfs-ro /mnt/data fuse2pt.bindfs eval '! touch /mnt/data/not-here 2>/dev/null'
prog_check squashfuse /mnt/image fuse2pt.squashfuse same_tree /srv/data /mnt/image
prog_check sshfs /mnt/remote fuse2pt.sshfs same_tree /srv/data /mnt/remote
prog_check bindfs-old-form /mnt/old fuse2pt same_tree /srv/data /mnt/old
prog_check sshfs-write /mnt/remote fuse2pt.sshfs eval \
	'echo "written over sshfs" > /mnt/remote/sub/from-ssh && [ "$(cat /srv/data/sub/from-ssh)" = "written over sshfs" ] && cmp /srv/data/sub/blob /mnt/data/sub/blob'
gocrypt_data() {
	local before after
	before=$(ls /srv/cipher | wc -l)
	head -c 2M /dev/urandom > /tmp/plain || return 1
	cp /tmp/plain /mnt/plain/secret && echo "note" > /mnt/plain/note || return 1
	after=$(ls /srv/cipher | wc -l)
	cmp /tmp/plain /mnt/plain/secret && [ "$(cat /mnt/plain/note)" = note ] &&
		[ "$after" = $((before + 2)) ] && ! ls /srv/cipher | grep -qx -e secret -e note &&
		! grep -rqs '^note$' /srv/cipher
}
prog_check gocryptfs /mnt/plain fuse2pt.gocryptfs gocrypt_data
findmnt -t fuse2pt.bindfs,fuse2pt.squashfuse,fuse2pt.sshfs,fuse2pt.gocryptfs,fuse2pt
if readme /tmp/progs-tail.sh -e; then result PASS readme-progs-umount
else result FAIL readme-progs-umount "the README's fuse2pt-umount /mnt/data failed"; fi
check progs-umount-data "/mnt/data still mounted after fuse2pt-umount" eval '! mounted /mnt/data'
for m in /mnt/image /mnt/remote /mnt/plain /mnt/old; do
	fuse2pt-umount "$m" || result FAIL progs-umount "fuse2pt-umount $m failed"
done
check progs-all-unmounted "still mounted: $(findmnt -rn -o TARGET -t fuse2pt.bindfs,fuse2pt.squashfuse,fuse2pt.sshfs,fuse2pt.gocryptfs,fuse2pt | tr '\n' ' ')" \
	eval '! findmnt -rn -t fuse2pt.bindfs,fuse2pt.squashfuse,fuse2pt.sshfs,fuse2pt.gocryptfs,fuse2pt > /dev/null'
check progs-exit "programs still running 10 s after their umount: $(pgrep -a 'bindfs|squashfuse|sshfs|gocryptfs' | tr '\n' ' ')" \
	wait_gone '(^|/)(bindfs|squashfuse|sshfs|gocryptfs) '
timing programs

# rclone, as its own mount helper rclonefs (README's two lines)
if readme $W/progs-rclone.sh -e; then result PASS readme-rclone
else result FAIL readme-rclone "the README's rclone lines failed"; fi
rclone_data() {
	[ "$(cat /mnt/r/hello)" = "through rclone" ] || return 1
	echo "written through rclone" > /mnt/r/new || return 1
	sync
	# rclone writes back on close; its VFS may take a moment
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(cat /srv/rclone-root/dir/new 2>/dev/null)" = "written through rclone" ] && return 0
		sleep 0.2
	done
	return 1
}
prog_check rclone /mnt/r fuse2pt.rclonefs rclone_data
fuse2pt-umount /mnt/r || result FAIL rclone-umount "fuse2pt-umount /mnt/r failed"
check rclone-exit "rclone still running 10 s after its umount" wait_gone 'rclone'
timing rclone

# /etc/fstab, the README's three lines, then mount -a
cp /etc/fstab /tmp/fstab.orig
cat $W/progs-fstab >> /etc/fstab
say "--- /etc/fstab with the README's lines:"
sed 's/^/walk:   | /' /etc/fstab
mount -a; rc=$?
check fstab-mount-a "mount -a exited $rc" test $rc = 0
prog_check fstab-bindfs /mnt/data fuse2pt.bindfs same_tree /srv/data /mnt/data
prog_check fstab-squashfuse /mnt/image fuse2pt.squashfuse test -f /mnt/image/sub/blob
prog_check fstab-sshfs /mnt/remote fuse2pt.sshfs same_tree /srv/data /mnt/remote
for m in /mnt/data /mnt/image /mnt/remote; do umount "$m"; done
cp /tmp/fstab.orig /etc/fstab
check fstab-unmounted "still mounted after umount: $(findmnt -rn -o TARGET /mnt/data /mnt/image /mnt/remote | tr '\n' ' ')" \
	eval '! mounted /mnt/data && ! mounted /mnt/image && ! mounted /mnt/remote'
check fstab-exit "programs still running 10 s after their umount" wait_gone '(^|/)(bindfs|squashfuse|sshfs) '
timing fstab

# --- README: Uninstall, with a mount still up as a user may have one ---
mount -t fuse2pt.passthrough_hp /srv/data /mnt/pt
check mounted-before-uninstall "could not mount /mnt/pt again" mounted /mnt/pt
if readme $W/uninstall.sh -e; then result PASS readme-uninstall
else result FAIL readme-uninstall "the README's Uninstall commands failed"; fi
left=()
findmnt -rn -t fuse2pt.passthrough_hp >/dev/null && left+=("a fuse2pt mount")
grep -q '^fuse2pt ' /proc/modules && left+=("the loaded module")
[ -e /dev/fuse2pt ] && left+=("/dev/fuse2pt")
ls -d /usr/src/fuse2pt* >/dev/null 2>&1 && left+=("/usr/src/fuse2pt*")
[ -e /var/lib/dkms/fuse2pt ] && left+=("/var/lib/dkms/fuse2pt")
f=$(find /lib/modules /etc /usr /var/lib/dkms -name '*fuse2pt*' 2>/dev/null | head -n5 | tr '\n' ' ')
[ -n "$f" ] && left+=("files: $f")
grep -qs fuse2pt /lib/modules/*/modules.dep /lib/modules/*/modules.alias && left+=("fuse2pt in modules.dep/alias")
dpkg-query -W -f='${db:Status-Status}\n' fuse2pt-dkms fuse2pt-utils 2>/dev/null | grep -qv '^not-installed$' &&
	left+=("dpkg still knows the packages")
[ -n "$(dkms status -m fuse2pt 2>/dev/null)" ] && left+=("dkms status lists fuse2pt")
if [ ${#left[@]} = 0 ]; then result PASS uninstall-leaves-nothing
else result FAIL uninstall-leaves-nothing "left behind: ${left[*]}"; fi

# README Uninstall, libfuse built from source (in the user's home)
if (cd /home/walker && readme $W/uninstall-libfuse.sh -e); then result PASS readme-uninstall-libfuse
else result FAIL readme-uninstall-libfuse "the README's libfuse uninstall line failed"; fi
left=()
# (Debian's fuse3, which sshfs brought, owns its own files there)
f=$(find /usr/local /lib/udev/rules.d /etc/init.d -name '*fuse*' 2>/dev/null |
	while read -r x; do dpkg -S "$x" > /dev/null 2>&1 || echo "$x"; done | head -n5 | tr '\n' ' ')
[ -n "$f" ] && left+=("files: $f")
ldconfig -p | grep -q /usr/local/ && left+=("ldconfig still lists /usr/local: $(ldconfig -p | grep /usr/local/ | head -n1)")
if [ ${#left[@]} = 0 ]; then result PASS uninstall-libfuse-leaves-nothing
else result FAIL uninstall-libfuse-leaves-nothing "left behind: ${left[*]}"; fi
timing uninstall

# --- the kernel stayed healthy ---
dm=$(dmesg | grep -E 'WARNING:|BUG:|Oops|refcount_t|INFO: task .* blocked|general protection|KASAN|UBSAN' | head -n3)
check dmesg-clean "dmesg: $dm" test -z "$dm"
dmesg | grep -i fuse2pt | tail -n 5
echo ALL-DONE >&3
sync
