#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# sshfs against a local sshd, mounted by mount(8) through mount.fuse2pt
# (-t fuse2pt.sshfs) and on stock fuse (-t fuse.sshfs): the same tree,
# the same contents, and writes reach the server's file system.
# timeout: 400
. /tests/lib.sh

ln -sf "$T_BIN/mount.fuse2pt" /usr/sbin/mount.fuse2pt
M=$T_WORK/mnt
SSH=$T_WORK/ssh
PORT=2222

no_server() { ! pgrep -x "$1" >/dev/null; }

# lo is down in the guest; iproute2 may not be there, python is
lo_up() {
	if command -v ip >/dev/null; then
		ip link set lo up
	else
		python3 - <<-'PY'
		import fcntl, socket, struct
		s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		req = struct.pack('16sH14x', b'lo', 0)
		flags = struct.unpack('16sH14x', fcntl.ioctl(s, 0x8913, req))[1]   # SIOCGIFFLAGS
		fcntl.ioctl(s, 0x8914, struct.pack('16sH14x', b'lo', flags | 1))  # SIOCSIFFLAGS, IFF_UP
		PY
	fi
}

sshd_up() { bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" 2>/dev/null; }

t_start sshd
if ! command -v sshfs >/dev/null || [ ! -x /usr/sbin/sshd ]; then
	t_skip "sshfs or openssh-server is not installed in the guest image"
	exit 0
fi
t_need_module || t_die "fuse2pt not loaded"
t_make_tree "$T_SRC" || t_die "cannot build the source tree"
mkdir -p "$SSH" /run/sshd
t_check "loopback up" lo_up || t_die "cannot bring up lo"
t_check "client key" ssh-keygen -q -t ed25519 -N '' -f "$SSH/id"
cp "$SSH/id.pub" "$SSH/authorized_keys"
[ -f /etc/ssh/ssh_host_ed25519_key ] || ssh-keygen -q -t ed25519 -N '' -f "$SSH/host"
HOSTKEY=/etc/ssh/ssh_host_ed25519_key
[ -f "$HOSTKEY" ] || HOSTKEY=$SSH/host
/usr/sbin/sshd -D -e -f /dev/null -p "$PORT" -h "$HOSTKEY" -o ListenAddress=127.0.0.1 \
	-o UsePAM=no -o StrictModes=no -o PermitRootLogin=prohibit-password \
	-o AuthorizedKeysFile="$SSH/authorized_keys" -o PidFile="$SSH/sshd.pid" \
	-o "Subsystem=sftp /usr/lib/openssh/sftp-server" > "$SSH/sshd.log" 2>&1 &
SSHD=$!
trap 'kill $SSHD 2>/dev/null; _t_exit' EXIT
t_wait_for 30 sshd_up
t_check "sshd listens on 127.0.0.1:$PORT" sshd_up || { cat "$SSH/sshd.log"; t_die "no sshd"; }
t_pass

OPTS="port=$PORT,IdentityFile=$SSH/id,StrictHostKeyChecking=no,UserKnownHostsFile=/dev/null,BatchMode=yes"
t_start sshfs
mkdir -p "$M/sshfs-pt" "$M/sshfs-st"
if t_check "mount -t fuse2pt.sshfs" mount -t fuse2pt.sshfs -o "$OPTS" "root@127.0.0.1:$T_SRC" "$M/sshfs-pt" &&
   t_check "mount -t fuse.sshfs" mount -t fuse.sshfs -o "$OPTS" "root@127.0.0.1:$T_SRC" "$M/sshfs-st"; then
	t_expect_eq "fuse2pt type" "$(t_mount_type "$M/sshfs-pt")" fuse2pt.sshfs
	case $(t_mount_type "$M/sshfs-st") in fuse|fuse.sshfs) ;; *)
		_t_mark_fail "stock type $(t_mount_type "$M/sshfs-st")" ;; esac
	for s in pt st; do t_snapshot "$M/sshfs-$s" "$T_WORK/snap/$s"; done
	for f in ls find readlink md5 du-all; do
		t_expect_files_eq "$f" "$T_WORK/snap/st/$f" "$T_WORK/snap/pt/$f"
	done
	t_cmp_tree "$T_SRC" "$M/sshfs-pt"
	head -c 300000 /dev/urandom > "$T_WORK/new"
	t_check "write through fuse2pt.sshfs" cp "$T_WORK/new" "$M/sshfs-pt/new"
	t_check "it is on the server" cmp "$T_WORK/new" "$T_SRC/new"
	t_check "stock sshfs reads it" cmp "$T_WORK/new" "$M/sshfs-st/new"
fi
for d in "$M/sshfs-pt" "$M/sshfs-st"; do
	t_is_mounted "$d" && t_check "umount $d" timeout 60 umount "$d"
done
t_wait_for 20 no_server sshfs
t_check "sshfs exited after umount" no_server sshfs
t_pass

kill "$SSHD" 2>/dev/null
wait "$SSHD" 2>/dev/null
t_wait_for 10 bash -c '! pgrep -x sshd >/dev/null && ! pgrep sshd-session >/dev/null'
