#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The README walk (`sudo make walk`): a Debian 12 user who has never seen
# fuse2pt follows README.md on a fresh machine, from "Install" to a
# working passthrough mount and back out through "Uninstall".
#
#   1. base     debootstrap bookworm (amd64, deb.debian.org) with the stock
#               kernel and what an installed system has (systemd, udev,
#               kmod, initramfs-tools, sudo, python3); cached under
#               $FUSE2PT_WALK_DIR (default /var/cache/fuse2pt/walk) and
#               rebuilt when older than a week
#   2. fresh    a copy of it: user "walker" (sudo), this tree (tracked and
#               untracked files git does not ignore) in ~walker/fuse2pt,
#               the installer's apt sources (bookworm, -updates,
#               -security), apt-get update, full-upgrade
#   3. install  as walker in the chroot: README "Install", the Debian
#               packages block, verbatim (DKMS builds for the 6.1 kernel)
#   3b. progs   README "Mount FUSE programs": apt-get install of bindfs,
#               squashfuse, sshfs, gocryptfs and rclone (Debian 12's),
#               verbatim; and openssh-server and squashfs-tools, which
#               the walk needs to give them a source
#   4. libfuse  README "Passthrough with libfuse 3.17": its first block,
#               verbatim except the download URL (no GitHub here: the same
#               upstream tarball from Debian's archive)
#   5. image    the chroot as an ext4 disk; a oneshot systemd unit runs
#               tests/host/readme-walk-guest.sh at boot
#   6. boot     QEMU with the system's own kernel and initrd, root=/dev/vda;
#               the guest loads the module, mounts passthrough_hp with the
#               README's commands, checks data and that passthrough is
#               active the README's way, mounts each program of step 3b
#               with the README's lines (user@host: root@localhost over
#               ssh) and checks data through each, runs README "Uninstall" and checks
#               nothing is left, then powers off
#
# The commands are taken from README.md, so README and walk cannot drift;
# a README block that no longer looks like what the walk expects fails.
# Apt's "Do you want to continue? [Y/n]" is answered yes (apt.conf
# Assume-Yes), sudo asks no password: those are the user's keystrokes.
#
# Results: $OUT/results.log ("RESULT PASS|FAIL walk...: NAME" lines, the
# guest's included), $OUT/timings, logs in $OUT (console.log, *.log).
# OUT is $FUSE2PT_WORK/walk (default /var/tmp/fuse2pt-walk/walk).
# Exit status 0 only when every result passed.
#   FUSE2PT_WALK_NO_BOOT=1    stop after the image (steps 1-5)
#   FUSE2PT_WALK_FRESH=1      rebuild the debootstrap base
#   FUSE2PT_WALK_TIMEOUT=SECS the guest's time limit (default 1800)
set -uo pipefail
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/vm.sh"
. "$TOP/tests/host/lib.sh"	# readme_block

need_root
WALK=${FUSE2PT_WALK_DIR:-$CACHE/walk}
OUT=${FUSE2PT_WORK:-/var/tmp/fuse2pt-walk}/walk
MIRROR=http://deb.debian.org/debian
BASE=$WALK/base
R=$WALK/root
IMG=$WALK/disk.img
# what a Debian 12 installation has beyond debootstrap's default set
INCLUDE=linux-image-amd64,systemd-sysv,udev,kmod,initramfs-tools,sudo,python3,ca-certificates
BASEKEY="bookworm amd64 $MIRROR $INCLUDE"
TMO=${FUSE2PT_WALK_TIMEOUT:-1800}

mkdir -p "$WALK" "$OUT"
exec {LOCK}>>"$WALK/.lock"
flock -n "$LOCK" || die "another walk runs in $WALK"
RES=$OUT/results.log
TIMES=$OUT/timings
: > "$RES"
: > "$TIMES"
rm -f "$OUT"/*.log.old
FAILED=0

result() {	# PASS|FAIL NAME [WHY...]
	local st=$1 name=$2
	shift 2
	echo "RESULT $st walk-host:$name${*:+ $*}" >> "$RES"
	log "$st walk-host:$name${*:+: $*}"
	[ "$st" = PASS ] || FAILED=1
}
T_STAGE=$SECONDS
T_ALL=$SECONDS
stage_done() {	# NAME
	local s=$((SECONDS - T_STAGE))
	printf '%-8s %5d s\n' "$1" "$s" >> "$TIMES"
	log "stage $1: ${s}s"
	T_STAGE=$SECONDS
}
finish() {
	printf '%-8s %5d s\n' total $((SECONDS - T_ALL)) >> "$TIMES"
	log "timings:"
	sed 's/^/    /' "$TIMES" >&2
	log "results ($RES):"
	grep '^RESULT' "$RES" | sed 's/^/    /' >&2
	local np nf
	np=$(grep -c '^RESULT PASS' "$RES")
	nf=$(grep -c '^RESULT FAIL' "$RES")
	log "walk: $np passed, $nf failed"
	[ "$FAILED" = 0 ] && [ "$nf" = 0 ] && exit 0
	exit 1
}
abort() { result FAIL "$1" "${*:2}"; finish; }

# --- the chroot ---
chroot_up() {
	mountpoint -q "$R/proc" || mount -t proc proc "$R/proc"
	mountpoint -q "$R/sys" || mount -t sysfs sys "$R/sys"
	mountpoint -q "$R/dev" || mount --bind /dev "$R/dev"
	mountpoint -q "$R/dev/pts" || mount -t devpts -o newinstance,ptmxmode=0666 devpts "$R/dev/pts"
}
chroot_down() {
	local m
	for m in dev/pts dev sys proc; do
		mountpoint -q "$R/$m" && umount -l "$R/$m"
	done
	return 0
}
trap 'chroot_down' EXIT
in_root() { chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
	DEBIAN_FRONTEND=noninteractive HOME=/root "$@"; }
as_walker() { chroot "$R" /usr/bin/setpriv --reuid=1000 --regid=1000 --init-groups \
	/usr/bin/env -i HOME=/home/walker USER=walker LOGNAME=walker SHELL=/bin/bash LANG=C.UTF-8 \
	PATH=/usr/local/bin:/usr/bin:/bin:/usr/games DEBIAN_FRONTEND=noninteractive "$@"; }

# --- README blocks ---
# take_block FILE SECTION N PATTERN...: FILE gets the block; each PATTERN
# (an extended regex) must match one of its lines, else the README changed
# under the walk.
take_block() {
	local f=$1 sec=$2 n=$3 p
	shift 3
	readme_block "$sec" "$n" > "$f"
	for p in "$@"; do
		grep -Eq -- "$p" "$f" || abort readme-blocks "README \"$sec\" block $n has no line matching /$p/; README and walk disagree (block: $(tr '\n' '|' < "$f"))"
	done
	log "README \"$sec\" block $n: $(wc -l < "$f") lines"
}
B=$OUT/blocks
rm -rf "$B"
mkdir -p "$B"
take_block "$B/install.sh" Install 1 '^sudo apt-get install .*linux-headers' '^make deb' \
	'^sudo apt-get install \./build/deb/' '^sudo dkms status'
take_block "$B/libfuse.sh" "Passthrough with libfuse" 1 '^sudo apt-get install .*meson' \
	'^wget https://github\.com/libfuse/libfuse/releases/download/fuse-3\.17' '^meson setup' \
	'ninja -C build install' 'passthrough_hp /usr/local/bin' '/srv/data'
take_block "$B/pt-mount.sh" "Passthrough with libfuse" 2 '^sudo mount -t fuse2pt\.passthrough_hp /srv/data /mnt/pt' \
	'^findmnt /mnt/pt' '^sudo fuse2pt-umount /mnt/pt'
tail -n 1 "$B/pt-mount.sh" | grep -q '^sudo fuse2pt-umount /mnt/pt' ||
	abort readme-blocks "the mount block of README \"Passthrough\" does not end with its fuse2pt-umount"
take_block "$B/pt-debug.sh" "Passthrough with libfuse" 3 'fuse2pt-mount /mnt/pt passthrough_hp .*--debug-fuse.* 2> /tmp/pt-debug.log &' \
	'/mnt/pt/somefile' "grep -cE 'opcode: \(READ\|WRITE\) ' /tmp/pt-debug.log" \
	'sudo mount -t fuse2ptctl none /sys/fs/fuse2pt/connections' \
	'^sudo grep \. .*passthrough_read_bytes .*passthrough_write_bytes .*passthrough_refused'
take_block "$B/pt-maps.sh" "Passthrough with libfuse" 4 'python3 .*/proc/self/maps.* /mnt/pt/somefile' \
	'^sudo fuse2pt-umount /mnt/pt'
# Uninstall: one block per way of installing, each pasted whole; the
# packages' is the first, libfuse's from source the fourth
take_block "$B/uninstall.sh" Uninstall 1 'fuse2pt-umount$' 'sudo modprobe -r fuse2pt' \
	'^sudo apt-get purge fuse2pt-dkms fuse2pt-utils$'
take_block "$B/uninstall-libfuse.sh" Uninstall 4 '^sudo ninja -C fuse-3\.17\.[0-9]+/build uninstall'
# Mount FUSE programs: Debian 12's own, each with the README's line
P="Mount FUSE programs"
take_block "$B/progs-install.sh" "$P" 1 '^sudo apt-get install bindfs squashfuse sshfs gocryptfs rclone$'
take_block "$B/progs-mount.sh" "$P" 2 '^sudo mount -t fuse2pt\.bindfs /srv/data /mnt/data -o ro,allow_other$' \
	'^sudo mount -t fuse2pt\.squashfuse /srv/image\.sqfs /mnt/image$' \
	'^sudo mount -t fuse2pt\.sshfs user@host:/dir /mnt/remote -o allow_other,IdentityFile=/root/\.ssh/id_ed25519$' \
	'^sudo mount -t fuse2pt\.gocryptfs /srv/cipher /mnt/plain -o passfile=/root/gocryptfs\.pw$' \
	"^sudo mount -t fuse2pt 'bindfs#/srv/data' /mnt/old " '^findmnt -t ' '^sudo fuse2pt-umount /mnt/data '
tail -n 1 "$B/progs-mount.sh" | grep -q '^sudo fuse2pt-umount /mnt/data ' ||
	abort readme-blocks "the mount block of README \"$P\" does not end with its fuse2pt-umount"
take_block "$B/progs-fstab" "$P" 3 '^/srv/data +/mnt/data +fuse2pt\.bindfs ' \
	'^/srv/image\.sqfs +/mnt/image +fuse2pt\.squashfuse ' '^user@host:/dir +/mnt/remote +fuse2pt\.sshfs '
take_block "$B/progs-rclone.sh" "$P" 4 '^sudo ln -s /usr/bin/rclone /usr/local/bin/rclonefs$' \
	'^sudo mount -t fuse2pt\.rclonefs remote:dir /mnt/r -o config=/root/\.config/rclone/rclone\.conf$'
# the one thing the walk changes: "user@host:/dir" is this machine's root
# over ssh, serving /srv/data (the guest sets up the key)
sed -i 's#user@host:/dir#root@localhost:/srv/data#' "$B/progs-mount.sh" "$B/progs-fstab"
log "README sshfs lines, as the walk runs them: $(grep -h 'localhost' "$B/progs-mount.sh" "$B/progs-fstab" | tr '\n' '|')"
# the one line the walk changes: GitHub is out of reach here, Debian's
# archive has the same upstream tarball (Debian checks upstream's signature)
sed -E 's#^wget https://github\.com/libfuse/libfuse/releases/download/fuse-([0-9.]+)/fuse-([0-9.]+)\.tar\.gz#wget -O fuse-\2.tar.gz '"$MIRROR"'/pool/main/f/fuse3/fuse3_\2.orig.tar.gz#' \
	"$B/libfuse.sh" > "$B/libfuse-walk.sh"
log "README download line, as the walk runs it: $(grep '^wget' "$B/libfuse-walk.sh")"
result PASS readme-blocks

# --- 1. base ---
if [ "${FUSE2PT_WALK_FRESH:-0}" = 1 ] || [ "$(cat "$BASE/.walk-base" 2>/dev/null)" != "$BASEKEY" ] ||
   [ -n "$(find "$BASE/.walk-base" -mtime +7 2>/dev/null)" ]; then
	log "debootstrap bookworm into $BASE.new (a few minutes)"
	rm -rf "$BASE.new"
	if ! debootstrap --arch=amd64 --include="$INCLUDE" bookworm "$BASE.new" "$MIRROR" > "$OUT/debootstrap.log" 2>&1; then
		tail -n 20 "$OUT/debootstrap.log" >&2
		abort base "debootstrap failed (log $OUT/debootstrap.log)"
	fi
	echo "$BASEKEY" > "$BASE.new/.walk-base"
	rm -rf "$BASE"
	mv "$BASE.new" "$BASE"
else
	log "debootstrap base: $BASE (cached, $(date -r "$BASE/.walk-base" +%F))"
fi
stage_done base

# --- 2. fresh: the user's machine ---
chroot_down
rm -rf "$R" "$IMG"
cp -a "$BASE" "$R"
rm -f "$R/.walk-base"
echo walk > "$R/etc/hostname"
# (in the chroot the host's hostname holds: sudo wants it resolvable)
printf '127.0.0.1\tlocalhost\n127.0.1.1\twalk %s\n::1\tlocalhost ip6-localhost ip6-loopback\n' "$(hostname)" > "$R/etc/hosts"
cp /etc/resolv.conf "$R/etc/resolv.conf" 2>/dev/null || true
# the sources Debian's installer writes: the release, its updates and
# security (so full-upgrade brings the kernel a Debian 12 user runs)
cat > "$R/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
echo "/dev/vda / ext4 rw,errors=remount-ro 0 1" > "$R/etc/fstab"
# a chroot must not start services
printf '#!/bin/sh\nexit 101\n' > "$R/usr/sbin/policy-rc.d"
chmod 755 "$R/usr/sbin/policy-rc.d"
# the user's keystrokes: "Y" to apt, sudo without password prompts
echo 'APT::Get::Assume-Yes "true";' > "$R/etc/apt/apt.conf.d/90walk-assume-yes"
chroot "$R" useradd -m -s /bin/bash -u 1000 walker
printf 'walker ALL=(ALL) NOPASSWD: ALL\nDefaults env_keep += "DEBIAN_FRONTEND"\n' > "$R/etc/sudoers.d/walker"
chmod 440 "$R/etc/sudoers.d/walker"
mkdir -p "$R/home/walker/fuse2pt"
if git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$TOP" ls-files -z -c -o --exclude-standard | grep -zv '^build/' |
		(cd "$TOP" && xargs -0 sh -c 'for f; do [ -f "$f" ] && printf "%s\0" "$f"; done' sh) |
		(cd "$TOP" && cpio -0 -pdm --quiet "$R/home/walker/fuse2pt")
	log "source: $(git -C "$TOP" describe --always --dirty) ($TOP)"
else
	(cd "$TOP" && tar --exclude=./.git --exclude=./build -cf - .) | tar -C "$R/home/walker/fuse2pt" -xf -
fi
chroot "$R" chown -R walker:walker /home/walker
chroot_up
if ! in_root apt-get update -q > "$OUT/fresh.log" 2>&1 ||
   ! in_root apt-get full-upgrade -q >> "$OUT/fresh.log" 2>&1; then
	tail -n 20 "$OUT/fresh.log" >&2
	abort fresh "apt-get update / full-upgrade in the chroot failed (log $OUT/fresh.log)"
fi
KVER=$(ls "$R/lib/modules" | sort -V | tail -n1)
log "fresh bookworm: kernel(s) $(ls "$R/lib/modules" | tr '\n' ' '), booting $KVER"
result PASS fresh
stage_done fresh

# --- 3. README Install: the Debian packages ---
cp "$B/install.sh" "$R/tmp/walk-install.sh"
log "README Install, as walker in ~/fuse2pt (log $OUT/install.log)"
if as_walker bash -c 'cd ~/fuse2pt && bash -ex /tmp/walk-install.sh' > "$OUT/install.log" 2>&1; then
	result PASS readme-install
else
	tail -n 30 "$OUT/install.log" >&2
	result FAIL readme-install "the README's install commands failed (log $OUT/install.log)"
fi
VER=$(cat "$TOP/VERSION")
st=$(grep -E "^fuse2pt/" "$OUT/install.log")
if grep -Eq "^fuse2pt/$VER, $KVER, x86_64: installed" <<< "$st"; then
	result PASS dkms-status "$(tr '\n' ';' <<< "$st")"
else
	result FAIL dkms-status "the README's dkms status printed '$(tr '\n' ';' <<< "$st")', want fuse2pt/$VER, $KVER, x86_64: installed"
fi
ko=$R/lib/modules/$KVER/updates/dkms/fuse2pt.ko
if [ -f "$ko" ]; then result PASS dkms-module; else result FAIL dkms-module "no $ko"; fi
if grep -Eq '(^|[^A-Za-z_])(warning|WARNING):' "$R/var/lib/dkms/fuse2pt/$VER/$KVER/x86_64/log/make.log" 2>/dev/null; then
	result FAIL dkms-build-clean "warnings in the DKMS build: $(grep -m1 'warning:' "$R/var/lib/dkms/fuse2pt/$VER/$KVER/x86_64/log/make.log")"
fi
stage_done install

# --- 3b. README Mount FUSE programs: Debian's programs ---
cp "$B/progs-install.sh" "$R/tmp/walk-progs.sh"
log "README Mount FUSE programs, apt-get install, as walker (log $OUT/progs.log)"
if as_walker bash -c 'cd ~ && bash -ex /tmp/walk-progs.sh' > "$OUT/progs.log" 2>&1; then
	result PASS readme-progs-install
else
	tail -n 30 "$OUT/progs.log" >&2
	result FAIL readme-progs-install "the README's apt-get install of the programs failed (log $OUT/progs.log)"
fi
# what the walk itself needs to give them something to serve: an ssh
# server for sshfs, mksquashfs for squashfuse's image
if ! in_root apt-get install -q openssh-server squashfs-tools >> "$OUT/progs.log" 2>&1; then
	tail -n 30 "$OUT/progs.log" >&2
	result FAIL progs-fixtures "apt-get install openssh-server squashfs-tools failed (log $OUT/progs.log)"
fi
log "programs: $(in_root dpkg-query -W -f='${Package} ${Version}, ' bindfs squashfuse sshfs gocryptfs rclone 2>&1)"
stage_done progs

# --- 4. README Passthrough: libfuse 3.17 and passthrough_hp ---
cp "$B/libfuse-walk.sh" "$R/tmp/walk-libfuse.sh"
log "README Passthrough (libfuse 3.17 from source), as walker in ~ (log $OUT/libfuse.log)"
if as_walker bash -c 'cd ~ && bash -ex /tmp/walk-libfuse.sh' > "$OUT/libfuse.log" 2>&1; then
	result PASS readme-libfuse
else
	tail -n 30 "$OUT/libfuse.log" >&2
	result FAIL readme-libfuse "the README's libfuse commands failed (log $OUT/libfuse.log)"
fi
lib=$(in_root ldd /usr/local/bin/passthrough_hp 2>&1 | grep 'libfuse3')
lv=$(in_root pkg-config --modversion fuse3 2>/dev/null)
if [[ $lib == *"/usr/local/lib/"*libfuse3.so.4* ]] && [[ $lv == 3.1[7-9]* || $lv == 3.[2-9]* ]]; then
	result PASS passthrough_hp "libfuse $lv; $(echo $lib)"
else
	result FAIL passthrough_hp "passthrough_hp links '${lib:-nothing}', pkg-config fuse3 says '${lv:-nothing}'"
fi
stage_done libfuse

# --- 5. the disk ---
G=$R/opt/walk
mkdir -p "$G"
install -m 755 "$TOP/tests/host/readme-walk-guest.sh" "$G/guest.sh"
cp "$B/pt-mount.sh" "$G/pt-mount.sh"
cat "$B/pt-debug.sh" "$B/pt-maps.sh" > "$G/pt-debug.sh"
cp "$B/uninstall.sh" "$B/uninstall-libfuse.sh" "$G/"
cp "$B/progs-mount.sh" "$B/progs-fstab" "$B/progs-rclone.sh" "$G/"
# (no "fuse2pt" in its name: the guest looks for files named so after
# the uninstall)
cat > "$R/etc/systemd/system/readme-walk.service" <<'EOF'
[Unit]
Description=the README walk (tests/host/readme-walk.sh)
After=local-fs.target systemd-udevd.service systemd-udev-trigger.service systemd-modules-load.service
SuccessAction=poweroff-force
FailureAction=poweroff-force
[Service]
Type=oneshot
ExecStart=/opt/walk/guest.sh
StandardOutput=journal+console
TimeoutStartSec=infinity
[Install]
WantedBy=multi-user.target
EOF
in_root systemctl enable readme-walk.service > /dev/null 2>&1 ||
	abort image "systemctl enable readme-walk.service failed in the chroot"
rm -f "$R/usr/sbin/policy-rc.d"
chroot_down
size=$(( $(du -sm "$R" | cut -f1) + 1536 ))
if ! mke2fs -q -F -t ext4 -L walkroot -d "$R" "$IMG" "${size}M" > "$OUT/image.log" 2>&1; then
	cat "$OUT/image.log" >&2
	abort image "mke2fs -d failed"
fi
result PASS image "${size} MB"
stage_done image

if [ "${FUSE2PT_WALK_NO_BOOT:-0}" = 1 ]; then
	log "FUSE2PT_WALK_NO_BOOT=1: not booting $IMG"
	finish
fi

# --- 6. boot it ---
accel=$(vm_accel)
log "booting $KVER ($accel) from $IMG, console $OUT/console.log, at most ${TMO}s"
: > "$OUT/console.log"
: > "$OUT/guest-results.log"
# shellcheck disable=SC2046
timeout -k 10 "$TMO" qemu-system-x86_64 $(vm_accel_args "$accel") -smp 2 -m 2G \
	-kernel "$R/boot/vmlinuz-$KVER" -initrd "$R/boot/initrd.img-$KVER" \
	-append "root=/dev/vda rw console=ttyS0 panic=-1" \
	-drive "file=$IMG,format=raw,if=virtio" \
	-display none -no-reboot -nic none -monitor none \
	-serial "file:$OUT/console.log" -serial "file:$OUT/guest-results.log" \
	> "$OUT/qemu.log" 2>&1 &
qpid=$!
# the guest powers itself off; should it hang after ALL-DONE, stop it
grace=0
while kill -0 "$qpid" 2>/dev/null; do
	if grep -q '^ALL-DONE' "$OUT/guest-results.log" 2>/dev/null; then
		grace=$((grace + 1))
		if [ $grace -gt 60 ]; then
			log "the guest reported ALL-DONE but did not power off within 60 s; stopping qemu"
			kill "$qpid"
			break
		fi
	fi
	sleep 1
done
rc=0
wait "$qpid" || rc=$?
[ $grace -gt 60 ] && result FAIL poweroff "the guest did not power off after ALL-DONE"
grep -E '^(RESULT|TIME|ALL-DONE)' "$OUT/guest-results.log" | tr -d '\r' > "$OUT/guest.tmp"
grep '^RESULT' "$OUT/guest.tmp" >> "$RES"
while read -r _ name secs; do
	printf '  guest:%-12s %5d s\n' "$name" "$secs" >> "$TIMES"
done < <(grep '^TIME' "$OUT/guest.tmp")
if ! grep -q '^ALL-DONE' "$OUT/guest.tmp"; then
	tail -n 30 "$OUT/console.log" >&2
	result FAIL boot "the guest did not finish (qemu status $rc; console $OUT/console.log)"
elif [ $rc != 0 ]; then
	result FAIL boot "qemu exited with status $rc"
else
	result PASS boot
fi
stage_done boot
finish
