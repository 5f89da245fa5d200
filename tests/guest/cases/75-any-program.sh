#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# FUSE programs that do not take a mounted /dev/fd/N but mount by
# themselves (mount_by=program), through mount(8) and mount.fuse2pt:
# bindfs (libfuse 2: its own mount(2) as root, caught and made as
# fuse2pt; also on Debian 12's libfuse 2, and refused when given
# /dev/fd/N, which that one does not take), gocryptfs (Go, go-fuse: runs fusermount3 from PATH) and rclone
# (Go: fusermount3, as its own mount helper rclonefs), and a libfuse 3
# program forced to mount by itself.  Each with a data check through the
# mount, its process holding /dev/fuse2pt and not /dev/fuse, and nothing
# mounted or running after umount.  Hostile programs (the old magic
# number in the flags, a set-uid root program run by a user asking for
# allow_other, a mount point swapped for a symlink, a mount point in a
# file system that never answers).  Then what cannot be served (a program
# mounting elsewhere, one that never mounts): a reason, status 32,
# nothing mounted; and fuse2pt-fusermount refusing hostile input (an
# ordinary user, bad options, no socket, unmounting what is not fuse2pt).
# timeout: 600
. /tests/lib.sh

SHIMS=/usr/lib/fuse2pt/bin
ln -sf "$T_BIN/mount.fuse2pt" /usr/sbin/mount.fuse2pt
mkdir -p "$SHIMS"
ln -sf "$T_BIN/fuse2pt-fusermount" "$SHIMS/fusermount"
ln -sf "$T_BIN/fuse2pt-fusermount" "$SHIMS/fusermount3"
MNT=$T_WORK/mnt/a
SRC=$T_WORK/src
mkdir -p "$MNT" "$SRC" "$T_WORK/other"
chmod 755 "$T_WORK" "$T_WORK/mnt" "$SRC"
echo "known content" > "$SRC/known"

fuse_mounts() { awk '$3 ~ /^(fuse|fuseblk|fuse2pt)(\.|$)/ { print $2, $3 }' /proc/mounts; }
no_server() { ! pgrep -x "$1" >/dev/null; }
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
# which libfuse a program links, for the record
links() { ldd "$(command -v "$1")" 2>/dev/null | awk '/libfuse/ { print $1 }' | tr '\n' ' '; }

# served_by_fuse2pt NAME: NAME's processes hold /dev/fuse2pt and no /dev/fuse
served_by_fuse2pt() {
	local pids p f2p=0 stock=0
	pids=$(pgrep -x "$1")
	[ -n "$pids" ] || { _t_mark_fail "$1 is not running"; return; }
	for p in $pids; do
		ls -l "/proc/$p/fd/" 2>/dev/null | grep -q ' /dev/fuse2pt$' && f2p=1
		ls -l "/proc/$p/fd/" 2>/dev/null | grep -q ' /dev/fuse$' && stock=1
	done
	t_expect_eq "$1 holds /dev/fuse2pt" "$f2p" 1
	t_expect_eq "$1 holds no /dev/fuse" "$stock" 0
}

# data_check: the known file reads through $MNT, a new one lands in $1
data_check() {
	local backing=$1
	t_expect_eq "known file through the mount" "$(cat "$MNT/known" 2>&1)" "known content"
	echo "written through fuse2pt" > "$MNT/new" ||
		_t_mark_fail "cannot write $MNT/new"
	t_expect_eq "read back through the mount" "$(cat "$MNT/new" 2>&1)" "written through fuse2pt"
	[ -z "$backing" ] ||
		t_expect_eq "landed in the source" "$(cat "$backing/new" 2>&1)" "written through fuse2pt"
}

# unmount_gone NAME: umount $MNT, NAME exits, no FUSE mount left
unmount_gone() {
	t_check "umount" timeout 60 umount "$MNT"
	t_wait_for 30 no_server "$1"
	t_check "$1 exited after umount" no_server "$1"
	t_expect_eq "no FUSE mount left" "$(fuse_mounts)" ""
}

# mount_fails DESC WANT-RE PROG CMD...: status 32, a message matching
# WANT-RE, nothing mounted, PROG not running
mount_fails() {
	local desc=$1 want=$2 prog=$3 out rc=0
	shift 3
	out=$("$@" 2>&1) || rc=$?
	t_note "$desc: status $rc: $out"
	t_expect_eq "$desc: status" "$rc" 32
	grep -Eq "$want" <<< "$out" || _t_mark_fail "$desc: message '$out' does not match /$want/"
	t_expect_eq "$desc: nothing mounted" "$(fuse_mounts)" ""
	t_wait_for 20 no_server "$prog"
	t_check "$desc: no $prog left running" no_server "$prog"
	while t_is_mounted "$MNT"; do umount -l "$MNT" || break; done
}

t_start setup
t_need_module || t_die "fuse2pt not loaded"
t_check "stock fuse is there (programs that mount by themselves open /dev/fuse)" test -c /dev/fuse
t_pass

t_start bindfs-libfuse2
if ! command -v bindfs >/dev/null; then
	t_skip "bindfs is not installed in the guest image"
else
	t_note "bindfs links: $(links bindfs)"
	t_check "bindfs is a libfuse 2 program" grep -q 'libfuse\.so\.2' <<< "$(links bindfs)"
	if out=$(mount.fuse2pt -v -t fuse2pt.bindfs "$SRC" "$MNT" 2>&1); then
		t_note "$out"
		t_check "-v: bindfs got the mount point, not /dev/fd/N" \
			grep -Fq "run: bindfs $SRC $MNT (" <<< "$out"
		t_check "-v: its own mount(2) was made as fuse2pt" \
			grep -Eq "bindfs asks to mount .* \(type fuse(\.bindfs)?, .*\); making it: mount\(\"$SRC\", \"$MNT\", \"fuse2pt.bindfs\"" <<< "$out"
		t_expect_eq "type" "$(t_mount_type "$MNT")" fuse2pt.bindfs
		served_by_fuse2pt bindfs
		data_check "$SRC"
		rm -f "$SRC/new"
		unmount_gone bindfs
	else
		_t_mark_fail "mount.fuse2pt -t fuse2pt.bindfs failed: $out"
	fi
	# the same through mount(8), with root's options kept
	if t_check "mount -t fuse2pt.bindfs -o ro,allow_other" \
		mount -t fuse2pt.bindfs -o ro,allow_other "$SRC" "$MNT"; then
		line=$(awk -v m="$MNT" '$2 == m' /proc/mounts)
		t_note "$line"
		for o in ro nosuid nodev allow_other user_id=0; do
			t_check "option $o" grep -Eq "[ ,]$o[ ,]" <<< "$line"
		done
		t_expect_eq "known file" "$(cat "$MNT/known")" "known content"
		t_check_fails "read-only" touch "$MNT/new2"
		unmount_gone bindfs
	fi
	# as an ordinary user: its mount(2) is made by mount.fuse2pt all the
	# same.  libfuse opens /dev/fuse first, which Debian's udev makes
	# 0666 and the guest's bare devtmpfs leaves 0600: as udev would.
	fuse_mode=$(stat -c %a /dev/fuse)
	chmod 666 /dev/fuse
	if t_check "mount -o setuid=nobody,allow_other" \
		mount -t fuse2pt.bindfs -o setuid=nobody,allow_other "$SRC" "$MNT"; then
		t_check "user_id is nobody's" grep -Eq " $MNT fuse2pt.bindfs .*user_id=65534," /proc/mounts
		t_expect_eq "bindfs runs as" "$(ps -o user= -p "$(pgrep -x bindfs | head -n1)" | tr -d ' ')" nobody
		t_expect_eq "known file" "$(cat "$MNT/known")" "known content"
		unmount_gone bindfs
	fi
	# bindfs asks for allow_other; as nobody, without root's allow_other
	# or user_allow_other in /etc/fuse.conf, it may not have it
	t_check_fails "/etc/fuse.conf has no user_allow_other" grep -qs '^user_allow_other' /etc/fuse.conf
	mount_fails "bindfs as nobody asking for allow_other" \
		"after its mount was refused: it asked for allow_other while running as uid 65534" \
		bindfs mount -t fuse2pt.bindfs -o setuid=nobody "$SRC" "$MNT"
	chmod "$fuse_mode" /dev/fuse
fi
t_pass

t_start bindfs-debian12-libfuse2
# bookworm's libfuse.so.2 (build.sh puts it in $T_LIB/fuse2-bookworm)
# has no /dev/fd/N support: trixie's bindfs on it is Debian 12's bindfs
LIB2=$T_LIB/fuse2-bookworm
if [ ! -f "$LIB2/libfuse.so.2" ] || ! command -v bindfs >/dev/null; then
	t_fail "bookworm's libfuse.so.2 ($LIB2) or bindfs is missing in the guest"
else
	t_check_fails "bookworm's libfuse 2 takes no /dev/fd/N" grep -qa '/dev/fd/%u' "$LIB2/libfuse.so.2"
	t_check "trixie's does (the control)" grep -qa '/dev/fd/%u' /usr/lib/x86_64-linux-gnu/libfuse.so.2
	t_check "bindfs runs on bookworm's" \
		grep -q "$LIB2/libfuse.so.2" <<< "$(LD_LIBRARY_PATH=$LIB2 ldd "$(command -v bindfs)")"
	# (mount(8) drops LD_LIBRARY_PATH from the environment: the helper it
	# would run is run directly, with the same arguments)
	if t_check "mount.fuse2pt -t fuse2pt.bindfs on Debian 12's libfuse 2" \
		env LD_LIBRARY_PATH="$LIB2" mount.fuse2pt -t fuse2pt.bindfs "$SRC" "$MNT"; then
		t_expect_eq "type" "$(t_mount_type "$MNT")" fuse2pt.bindfs
		t_check "bindfs runs on bookworm's libfuse.so.2" \
			grep -q "$LIB2/libfuse.so.2" "/proc/$(pgrep -x bindfs | head -n1)/maps"
		served_by_fuse2pt bindfs
		data_check "$SRC"
		rm -f "$SRC/new"
		unmount_gone bindfs
	fi
	# what issue 19 saw: given /dev/fd/N, it mounted stock fuse on the
	# device node itself.  Now that mount is refused, and nothing stays.
	mount_fails "Debian 12's bindfs given /dev/fd/N (mount_by=helper)" \
		"after its mount was refused: it mounts [^ ]+ by itself instead of serving the mounted device" \
		bindfs env LD_LIBRARY_PATH="$LIB2" mount.fuse2pt -t fuse2pt.bindfs -o mount_by=helper "$SRC" "$MNT"
	t_check "/dev/fuse2pt is still the device" test -c /dev/fuse2pt
fi
t_pass

t_start gocryptfs-go
if ! command -v gocryptfs >/dev/null; then
	t_skip "gocryptfs is not installed in the guest image"
else
	t_note "gocryptfs links: $(links gocryptfs)"
	C=$T_WORK/cipher
	PW=$T_WORK/gocryptfs.pw
	mkdir -p "$C"
	echo "a passphrase for the test" > "$PW"
	chmod 600 "$PW"
	if t_check "gocryptfs -init" gocryptfs -init -q -passfile "$PW" -scryptn 10 "$C"; then
		if t_check "mount -t fuse2pt.gocryptfs" mount -t fuse2pt.gocryptfs -o "passfile=$PW" "$C" "$MNT"; then
			t_expect_eq "type" "$(t_mount_type "$MNT")" fuse2pt.gocryptfs
			served_by_fuse2pt gocryptfs
			cp "$SRC/known" "$MNT/known"
			data_check ""
			t_check_fails "the cipher dir holds no plain text" grep -rqs "written through fuse2pt" "$C"
			unmount_gone gocryptfs
			if t_check "mount again" mount -t fuse2pt.gocryptfs -o "passfile=$PW" "$C" "$MNT"; then
				t_expect_eq "the file came back decrypted" "$(cat "$MNT/new" 2>&1)" "written through fuse2pt"
				unmount_gone gocryptfs
			fi
		fi
	fi
fi
t_pass

t_start rclone-go
if ! command -v rclone >/dev/null; then
	t_skip "rclone is not installed in the guest image"
else
	# rclone is a mount(8) helper when called mount.rclone or rclonefs
	# (its own documentation: ln -s rclone /usr/bin/rclonefs); a type
	# fuse2pt.mount.rclone would not reach mount.fuse2pt (mount(8) looks
	# for mount.fuse2pt.mount only), so: fuse2pt.rclonefs
	ln -sf "$(command -v rclone)" /usr/local/bin/rclonefs
	mkdir -p "$T_WORK/rclone-cache"
	if t_check "mount -t fuse2pt.rclonefs" mount -t fuse2pt.rclonefs \
		-o "config=/dev/null,cache_dir=$T_WORK/rclone-cache" "$SRC" "$MNT"; then
		t_expect_eq "type" "$(t_mount_type "$MNT")" fuse2pt.rclonefs
		served_by_fuse2pt 'rclone|rclonefs'
		data_check "$SRC"
		rm -f "$SRC/new"
		unmount_gone 'rclone|rclonefs'
	fi
	rm -f /usr/local/bin/rclonefs
fi
t_pass

t_start squashfuse-libfuse3-by-program
# a libfuse 3 program takes /dev/fd/N; told to, it mounts by itself as
# root (mount(2) on /dev/fuse), which is made as fuse2pt
if ! command -v squashfuse >/dev/null || ! command -v mksquashfs >/dev/null; then
	t_skip "squashfuse or mksquashfs is not installed in the guest image"
elif t_check "mksquashfs" mksquashfs "$SRC" "$T_WORK/src.sqfs" -quiet -noappend -no-progress &&
     t_check "mount -t fuse2pt.squashfuse -o mount_by=program" \
	mount -t fuse2pt.squashfuse -o mount_by=program "$T_WORK/src.sqfs" "$MNT"; then
	t_expect_eq "type" "$(t_mount_type "$MNT")" fuse2pt.squashfuse
	served_by_fuse2pt squashfuse
	t_expect_eq "known file" "$(cat "$MNT/known")" "known content"
	unmount_gone squashfuse
fi
t_pass

t_start static-program
# rawsrv-static: statically linked, mounts by itself: as root with
# mount(2) on /dev/fuse, or with -o fusermount through fusermount3 from
# PATH (fuse2pt's, which asks for type fuse2pt.rawsrv itself)
ln -sf "$T_BIN/rawsrv-static" /usr/local/bin/rawsrv-static
t_check "rawsrv-static is statically linked" grep -q "statically linked" <<< "$(file -L /usr/local/bin/rawsrv-static)"
for how in mount2 fusermount; do
	want="fuse.rawsrv" opt=
	[ $how = fusermount ] && want="fuse2pt.rawsrv" opt="-o fusermount"
	if out=$(mount.fuse2pt -v -t fuse2pt.rawsrv-static $opt good "$MNT" 2>&1); then
		t_note "$out"
		t_check "$how: its request (type $want) was made as fuse2pt" \
			grep -Eq "rawsrv-static asks to mount .* \(type $want, .*\); making it: mount\(\"good\", \"$MNT\", \"fuse2pt.rawsrv-static\"" <<< "$out"
		t_expect_eq "$how: type" "$(t_mount_type "$MNT")" fuse2pt.rawsrv-static
		served_by_fuse2pt rawsrv-static
		t_expect_eq "$how: content" "$(cat "$MNT/file" 2>&1)" "hello from rawsrv"
		unmount_gone rawsrv-static
	else
		_t_mark_fail "$how: mount.fuse2pt -t fuse2pt.rawsrv-static failed: $out"
	fi
done
rm -f /usr/local/bin/rawsrv-static
t_pass

t_start hostile-programs
# what a program controls cannot move its mount elsewhere or widen it
# (the programs below are in /usr/local/bin, which the guest's PATH lacks)
LPATH=/usr/local/bin:$PATH
ln -sf "$T_BIN/rawsrv-static" /usr/local/bin/rawsrv-static
# the old magic number in mount(2)'s top bits (the kernel ignores it) is
# still a new mount, made as fuse2pt, not passed on to stock fuse
if out=$(RAWSRV_MOUNT_MGC=1 mount.fuse2pt -t fuse2pt.rawsrv-static good "$MNT" 2>&1); then
	t_expect_eq "MS_MGC_VAL: type" "$(t_mount_type "$MNT")" fuse2pt.rawsrv-static
	served_by_fuse2pt rawsrv-static
	unmount_gone rawsrv-static
else
	_t_mark_fail "MS_MGC_VAL: mount.fuse2pt failed: $out"
fi
# a set-uid root program run by nobody is not root: no allow_other
install -m 4755 -o root "$T_BIN/rawsrv-static" /usr/local/bin/f2p-suidsrv
mount_fails "a set-uid root program run by nobody asking for allow_other" \
	"it asked for allow_other while running as uid 65534 \(effective 0\)" \
	f2p-suidsrv env PATH="$LPATH" RAWSRV_MOUNT_OPTS=allow_other \
	mount.fuse2pt -t fuse2pt.f2p-suidsrv -o setuid=nobody good "$MNT"
rm -f /usr/local/bin/f2p-suidsrv
# the program renames the mount point away and leaves a symlink to a
# root-owned directory in its place, then mounts the renamed directory
# (the same inode): the mount lands on that directory, never where the
# old name now points
SWAP=$T_WORK/swap
mkdir -p "$SWAP/mnt" "$T_WORK/victim"
chown nobody "$SWAP" "$SWAP/mnt"
cat > /usr/local/bin/f2p-swapper <<PROG
#!/bin/sh
mv "\$2" "\$2.moved" && ln -s $T_WORK/victim "\$2" && exec rawsrv-static "\$1" "\$2.moved"
PROG
chmod 755 /usr/local/bin/f2p-swapper
rc=0
# rawsrv as nobody opens /dev/fuse, which udev makes 0666 (devtmpfs: 0600)
fuse_mode=$(stat -c %a /dev/fuse)
chmod 666 /dev/fuse
out=$(PATH=$LPATH mount.fuse2pt -t fuse2pt.f2p-swapper -o setuid=nobody,mount_by=program good "$SWAP/mnt" 2>&1) || rc=$?
chmod "$fuse_mode" /dev/fuse
t_note "swapped mount point: status $rc: $out"
t_check "the program did swap its mount point" test -L "$SWAP/mnt"
t_check_fails "nothing mounted where the symlink points" t_is_mounted "$T_WORK/victim"
t_expect_eq "swapped mount point: mount.fuse2pt's status" "$rc" 0
t_expect_eq "mounted on the directory itself" "$(t_mount_type "$SWAP/mnt.moved")" fuse2pt.f2p-swapper
t_is_mounted "$SWAP/mnt.moved" && t_check "umount" umount "$SWAP/mnt.moved"
t_wait_for 20 no_server rawsrv-static
t_expect_eq "swapped mount point: no FUSE mount left" "$(fuse_mounts)" ""
rm -rf "$SWAP" /usr/local/bin/f2p-swapper
# a mount point inside a FUSE file system that never answers (its server
# stopped): mount.fuse2pt's look at it gives up after 5 s instead of
# hanging mount(8) for good
mkdir -p "$T_WORK/hung"
if t_check "a stock fuse mount for the stopped server" rawsrv-static good "$T_WORK/hung"; then
	hung=$(pgrep -nx rawsrv-static)
	kill -STOP "$hung"
	cat > /usr/local/bin/f2p-hungtarget <<PROG
#!/bin/sh
exec rawsrv-static "\$1" $T_WORK/hung/dir
PROG
	chmod 755 /usr/local/bin/f2p-hungtarget
	rc=0
	t0=$(date +%s)
	out=$(PATH=$LPATH timeout 90 mount.fuse2pt -t fuse2pt.f2p-hungtarget -o mount_by=program good "$MNT" 2>&1) || rc=$?
	t_note "hung mount point: status $rc after $(( $(date +%s) - t0 )) s: $out"
	t_expect_eq "hung mount point: status" "$rc" 32
	t_check "hung mount point: says why" grep -q "did not answer a stat within 5000 ms" <<< "$out"
	t_check_fails "nothing mounted on $MNT" t_is_mounted "$MNT"
	kill -KILL "$hung"
	kill -CONT "$hung" 2>/dev/null
	umount -l "$T_WORK/hung" 2>/dev/null
	t_wait_for 20 no_server rawsrv-static
	t_check "no rawsrv left" no_server rawsrv-static
	t_expect_eq "hung mount point: no FUSE mount left" "$(fuse_mounts)" ""
	rm -f /usr/local/bin/f2p-hungtarget
fi
rm -f /usr/local/bin/rawsrv-static
t_pass

# --- what cannot be served ---
cat > /usr/local/bin/f2p-elsewhere <<PROG
#!/bin/sh
# mounts bindfs on another directory than the one it was given
exec bindfs "\$1" $T_WORK/other
PROG
cat > /usr/local/bin/f2p-nomount <<'PROG'
#!/bin/sh
exit 0
PROG
chmod 755 /usr/local/bin/f2p-elsewhere /usr/local/bin/f2p-nomount

t_start refused-other-mountpoint
mount_fails "a program mounting elsewhere" \
	"not mounted: f2p-elsewhere exited with status [1-9] after its mount was refused: it asked to mount on [^ ]+, not on $MNT" \
	bindfs mount -t fuse2pt.f2p-elsewhere -o mount_by=program "$SRC" "$MNT"
t_check_fails "nothing on the other directory" t_is_mounted "$T_WORK/other"
t_pass

t_start refused-self-mount-given-devfd
# in helper mode (a script: /dev/fd/N) a program that mounts by itself
# anyway is refused, so it cannot put a stock fuse mount anywhere
mount_fails "a program mounting by itself in helper mode" \
	"after its mount was refused: it mounts [^ ]+ by itself instead of serving the mounted device" \
	bindfs mount -t fuse2pt.f2p-elsewhere "$SRC" "$MNT"
t_pass

t_start program-never-mounts
mount_fails "a program that exits 0 and never mounts" \
	"not mounted: f2p-nomount exited 0, but no mount\(2\) of a FUSE file system on $MNT reached mount.fuse2pt" \
	f2p-nomount mount -t fuse2pt.f2p-nomount -o mount_by=program none "$MNT"
t_pass

t_start bad-mount-by
rc=0
out=$(mount.fuse2pt -t fuse2pt.bindfs -o mount_by=sometimes "$SRC" "$MNT" 2>&1) || rc=$?
t_expect_eq "mount_by=sometimes: status" "$rc" 1
t_check "mount_by=sometimes: message" grep -q "mount_by is helper or program" <<< "$out"
t_expect_eq "nothing mounted" "$(fuse_mounts)" ""
t_pass

# --- fuse2pt-fusermount on its own, as a hostile user would use it ---
F=$SHIMS/fusermount3
# shim_with_socket [ENV-RUNNER...] -- ARGS: run the shim with a socket as
# _FUSE_COMMFD, print its status, then "GOT-FD" if a descriptor came back
cat > "$T_WORK/commfd.py" <<'PY'
import array, os, socket, subprocess, sys
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
env = dict(os.environ, _FUSE_COMMFD=str(b.fileno()))
p = subprocess.run(sys.argv[1:], env=env, pass_fds=(b.fileno(),))
b.close()
print("status", p.returncode)
a.settimeout(2)
try:
    msg, anc, flags, addr = a.recvmsg(1, socket.CMSG_LEN(4))
    for level, typ, data in anc:
        fd = array.array("i", data[:4])[0]
        print("GOT-FD", os.readlink("/proc/self/fd/%d" % fd))
except (socket.timeout, OSError):
    pass
PY

t_start fusermount-as-root
# root may mount: the protocol works, and the device is fuse2pt's
out=$(python3 "$T_WORK/commfd.py" "$F" -o subtype=shimtest,fsname=shim "$MNT" 2>&1)
t_note "$out"
t_check "status 0" grep -q "^status 0$" <<< "$out"
t_check "the descriptor came back, of /dev/fuse2pt" grep -q "^GOT-FD /dev/fuse2pt$" <<< "$out"
t_expect_eq "type" "$(t_mount_type "$MNT")" fuse2pt.shimtest
# nobody serves it: the descriptor is closed, so it is dead; -u takes it away
rc=0
as_nobody "$F" -u "$MNT" > "$T_WORK/out" 2>&1 || rc=$?
t_expect_eq "-u as nobody: status" "$rc" 1
t_check "-u as nobody: only root" grep -q "only root may unmount" "$T_WORK/out"
t_check "still mounted after nobody's -u" t_is_mounted "$MNT"
t_check "-u as root" "$F" -u -z "$MNT"
t_check_fails "unmounted" t_is_mounted "$MNT"
t_pass

t_start fusermount-hostile
out=$(as_nobody python3 "$T_WORK/commfd.py" "$F" "$MNT" 2>&1)
t_note "as nobody: $out"
t_check "nobody: refused" grep -q "^status 1$" <<< "$out"
t_check "nobody: says only root" grep -q "only root may mount fuse2pt" <<< "$out"
t_check_fails "nobody: no descriptor" grep -q GOT-FD <<< "$out"
t_expect_eq "nobody: nothing mounted" "$(fuse_mounts)" ""
for bad in "blkdev:block-device FUSE mounts" "fd=3:set by fusermount itself" \
	   "user_id=0:set by fusermount itself" "auto_unmount:auto_unmount is not supported" \
	   "no_such_opt:unknown option" "subtype=a/b\\,c:not one plain word"; do
	rc=0
	out=$(python3 "$T_WORK/commfd.py" "$F" -o "${bad%%:*}" "$MNT" 2>&1) || rc=$?
	t_check "-o ${bad%%:*}: refused" grep -q "^status 1$" <<< "$out"
	t_check "-o ${bad%%:*}: says why" grep -q "${bad#*:}" <<< "$out"
done
rc=0
"$F" "$MNT" > "$T_WORK/out" 2>&1 || rc=$?
t_expect_eq "no _FUSE_COMMFD: status" "$rc" 1
t_check "no _FUSE_COMMFD: says so" grep -q "_FUSE_COMMFD is not set" "$T_WORK/out"
rc=0
_FUSE_COMMFD=0 "$F" "$MNT" < /dev/null > "$T_WORK/out" 2>&1 || rc=$?
t_expect_eq "_FUSE_COMMFD not a socket: status" "$rc" 1
t_check "_FUSE_COMMFD not a socket: says so" grep -q "is not an open socket" "$T_WORK/out"
mount -t tmpfs tmpfs "$MNT"
t_check_fails "-u of a tmpfs" "$F" -u "$MNT"
t_expect_eq "the tmpfs stays" "$(t_mount_type "$MNT")" tmpfs
umount "$MNT"
ln -sfn /proc "$T_WORK/to-proc"
t_check_fails "-u through a symlink" "$F" -u "$T_WORK/to-proc"
t_check "/proc stays" t_is_mounted /proc
t_expect_eq "nothing mounted" "$(fuse_mounts)" ""
t_pass

t_start gocryptfs-as-user-with-shim
# an ordinary user's Go program finds fuse2pt's fusermount first in PATH:
# it is refused (the shim adds no privilege), nothing is mounted
if command -v gocryptfs >/dev/null && [ -d "$T_WORK/cipher" ]; then
	mkdir -p "$T_WORK/usermnt"
	chown nobody "$T_WORK/usermnt"
	chmod 644 "$T_WORK/gocryptfs.pw"
	chmod -R a+rX "$T_WORK/cipher"
	rc=0
	out=$(as_nobody env PATH="$SHIMS:$PATH" HOME=/tmp gocryptfs -fg -passfile "$T_WORK/gocryptfs.pw" \
		"$T_WORK/cipher" "$T_WORK/usermnt" 2>&1) || rc=$?
	t_note "status $rc: $(tail -n 3 <<< "$out" | tr '\n' ' ')"
	t_check "gocryptfs as nobody failed" test "$rc" != 0
	t_check "fuse2pt's fusermount said why" grep -q "only root may mount fuse2pt" <<< "$out"
	t_check_fails "nothing mounted" t_is_mounted "$T_WORK/usermnt"
	t_expect_eq "no FUSE mount" "$(fuse_mounts)" ""
else
	t_skip "gocryptfs missing or its cipher dir was not made above"
fi
t_pass
rm -f /usr/local/bin/f2p-elsewhere /usr/local/bin/f2p-nomount
