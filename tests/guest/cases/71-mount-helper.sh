#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mount.fuse2pt as mount(8) runs it: options split between the kernel,
# the helper and the program; setuid=USER; drop_privileges; fsname=
# unescaped; -v and the -f dry run; --help and --version of the three
# tools; fuse2pt-umount; and bad input, which must end in a clear
# message, mount(8)'s exit status (1 usage, 32 mount failure) and
# nothing mounted, a program that never answers included.
# timeout: 420
. /tests/lib.sh

ln -sf "$T_BIN/mount.fuse2pt" /usr/sbin/mount.fuse2pt
# mount(8) runs helpers without PATH: programs must be where the helper's
# default search finds them, as packaged ones are
ln -sf "$T_BIN/hello_ll" /usr/local/bin/hello_ll
MNT=$T_WORK/mnt/h
mkdir -p "$MNT" "$T_WORK/src"
echo data > "$T_WORK/src/file"

# Programs of this case's own, found by the helper's default PATH:
# f2p-exit1 fails at once; f2p-silent leaves a process holding the
# device (so the mount stays connected) that never reads it, and exits
# 0, as a daemonizing program does; f2p-marker only leaves a mark.
cat > /usr/local/bin/f2p-exit1 <<'PROG'
#!/bin/sh
echo "f2p-exit1: refusing on purpose" >&2
exit 1
PROG
cat > /usr/local/bin/f2p-silent <<PROG
#!/bin/sh
# (away from the helper's output, which the case reads to its end)
sleep 600 < /dev/null > /dev/null 2>&1 &
echo \$! > $T_WORK/silent.pid
exit 0
PROG
cat > /usr/local/bin/f2p-marker <<PROG
#!/bin/sh
touch $T_WORK/marker
exit 1
PROG
chmod 755 /usr/local/bin/f2p-exit1 /usr/local/bin/f2p-silent /usr/local/bin/f2p-marker

fuse_mounts() { awk '$3 ~ /^(fuse|fuse2pt)(\.|$)/ { print $2, $3 }' /proc/mounts; }
no_server() { ! pgrep -x "$1" >/dev/null; }
as_nobody() {
	if command -v setpriv >/dev/null; then
		setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"
	else
		su -s /bin/sh nobody -c '"$0" "$@"' -- "$@"
	fi
}
# status_is DESC WANT CMD...: CMD exits with status WANT
status_is() {
	local desc=$1 want=$2 rc=0
	shift 2
	"$@" > "$T_WORK/out" 2>&1 || rc=$?
	[ "$rc" = "$want" ] ||
		_t_mark_fail "$desc: status $rc, want $want: $* said: $(head -c 300 "$T_WORK/out")"
}
# the status line of a process: FIELD PID
proc_status() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$2/status"; }

# mount_fails DESC WANT-RE [-s STATUS] CMD...: CMD fails (with STATUS if
# given) and a message matching WANT-RE, and leaves no FUSE mount and no
# server behind.
mount_fails() {
	local desc=$1 want=$2 out rc=0 status=
	shift 2
	if [ "$1" = -s ]; then
		status=$2
		shift 2
	fi
	out=$("$@" 2>&1) || rc=$?
	t_note "$desc: status $rc: $out"
	if [ $rc = 0 ]; then
		t_fail "$desc: succeeded: $*"
		umount -l "$MNT" 2>/dev/null
		return
	fi
	[ -z "$status" ] || [ "$rc" = "$status" ] || _t_mark_fail "$desc: status $rc, want $status"
	grep -Eq "$want" <<< "$out" || _t_mark_fail "$desc: message '$out' does not match /$want/"
	[ -z "$(fuse_mounts)" ] || _t_mark_fail "$desc: left mounted: $(fuse_mounts | tr '\n' ' ')"
	t_wait_for 10 no_server bindfs
	t_check "$desc: no bindfs left running" no_server bindfs
	t_pass
}

t_start options-split
if t_need_module && t_check "mount -t fuse2pt.bindfs" mount -t fuse2pt.bindfs \
	-o allow_other,default_permissions,ro,max_read=65536,force-user=nobody,nofail,x-test.opt \
	"$T_WORK/src" "$MNT"; then
	line=$(awk -v m="$MNT" '$2 == m' /proc/mounts)
	t_note "$line"
	t_expect_eq "type" "$(awk '{ print $3 }' <<< "$line")" fuse2pt.bindfs
	t_expect_eq "source" "$(awk '{ print $1 }' <<< "$line")" "$T_WORK/src"
	for o in ro nosuid nodev user_id=0 group_id=0 allow_other default_permissions max_read=65536; do
		t_check "kernel option $o" grep -Eq "[ ,]$o[ ,]" <<< "$line"
	done
	t_expect_eq "program option force-user reached bindfs" "$(stat -c %U "$MNT/file")" nobody
	t_expect_eq "content" "$(cat "$MNT/file")" data
	t_check_fails "read-only" touch "$MNT/new"
	t_check "fuse2pt-umount" "$T_BIN/fuse2pt-umount" "$MNT"
	t_wait_for 20 no_server bindfs
	t_check "bindfs exited" no_server bindfs
fi
t_pass

t_start source-hash-form
if t_check "mount -t fuse2pt bindfs#SRC" mount -t fuse2pt "bindfs#$T_WORK/src" "$MNT"; then
	# type and source as written, like fuse's PROG#SOURCE
	t_expect_eq "type" "$(t_mount_type "$MNT")" fuse2pt
	t_expect_eq "source" "$(findmnt -n -o SOURCE "$MNT")" "bindfs#$T_WORK/src"
	t_expect_eq "content" "$(cat "$MNT/file")" data
	t_check "umount" umount "$MNT"
	t_wait_for 20 no_server bindfs
fi
t_pass

t_start setuid-user
if t_check "mount -o setuid=nobody,allow_other" \
	mount -t fuse2pt.hello_ll -o setuid=nobody,allow_other none "$MNT"; then
	pid=$(pgrep -x hello_ll | head -n1)
	t_expect_eq "hello_ll runs as" "$(ps -o user= -p "$pid" 2>/dev/null | tr -d ' ')" nobody
	t_check "user_id is nobody's" grep -Eq " $MNT fuse2pt.hello_ll .*user_id=65534," /proc/mounts
	t_expect_eq "content" "$(cat "$MNT/hello")" "Hello World!"
	t_check "umount" umount "$MNT"
	t_wait_for 20 no_server hello_ll
	t_check "hello_ll exited" no_server hello_ll
fi
t_pass

t_start umount-refuses-other-types
mount -t tmpfs tmpfs "$MNT"
t_check_fails "fuse2pt-umount on a tmpfs" "$T_BIN/fuse2pt-umount" "$MNT"
t_expect_eq "tmpfs still mounted" "$(t_mount_type "$MNT")" tmpfs
umount "$MNT"
t_check_fails "fuse2pt-umount on nothing mounted" "$T_BIN/fuse2pt-umount" "$MNT"
t_pass

t_start fsname-unescaped-verbose
# fsname=a\,b is one option, and its value is a,b, as with mount.fuse3;
# -v prints the mount(2) call as it is made, flags by name
if t_need_module && out=$(mount.fuse2pt -v -t fuse2pt.hello_ll -o 'fsname=a\,b' none "$MNT" 2>&1); then
	t_note "$out"
	t_expect_eq "source in /proc/mounts" "$(awk -v m="$MNT" '$2 == m { print $1 }' /proc/mounts)" "a,b"
	t_check "-v prints the call with flags by name and the real source" \
		grep -Fq "mount(\"a,b\", \"$MNT\", \"fuse2pt.hello_ll\", MS_NOSUID|MS_NODEV, \"fd=" <<< "$out"
	t_check "-v prints the program's command line" grep -Eq "run: hello_ll /dev/fd/[0-9]+ " <<< "$out"
	t_expect_eq "content" "$(cat "$MNT/hello")" "Hello World!"
	t_check "umount" umount "$MNT"
	t_wait_for 20 no_server hello_ll
else
	_t_mark_fail "mount.fuse2pt -v -o 'fsname=a\,b' failed: $out"
fi
t_pass

t_start drop-privileges
# the program runs with no capability at all and no_new_privs; without
# the option the same program as root has capabilities (the control)
if t_need_module && t_check "mount without drop_privileges" mount -t fuse2pt.hello_ll none "$MNT"; then
	pid=$(pgrep -x hello_ll | head -n1)
	t_check "the control: hello_ll has capabilities without drop_privileges" \
		test "$(proc_status CapEff "$pid")" != 0000000000000000
	t_expect_eq "the control: NoNewPrivs" "$(proc_status NoNewPrivs "$pid")" 0
	t_check "umount" umount "$MNT"
	t_wait_for 20 no_server hello_ll
fi
for how in "drop_privileges" "drop_privileges,setuid=nobody,allow_other"; do
	if t_check "mount -o $how" mount -t fuse2pt.hello_ll -o "$how" none "$MNT"; then
		pid=$(pgrep -x hello_ll | head -n1)
		t_note "$how: $(grep -E '^(Uid|Cap[A-Za-z]+|NoNewPrivs):' "/proc/$pid/status" | tr '\t\n' '  ')"
		for f in CapEff CapPrm CapInh CapBnd CapAmb; do
			t_expect_eq "$how: $f" "$(proc_status "$f" "$pid")" 0000000000000000
		done
		t_expect_eq "$how: NoNewPrivs" "$(proc_status NoNewPrivs "$pid")" 1
		case $how in *setuid=nobody*)
			t_expect_eq "$how: runs as" "$(proc_status Uid "$pid")" 65534 ;;
		esac
		t_expect_eq "$how: content" "$(cat "$MNT/hello")" "Hello World!"
		t_check "umount" umount "$MNT"
		t_wait_for 20 no_server hello_ll
		t_check "hello_ll exited" no_server hello_ll
	fi
done
t_pass

t_start help-version
for tool in mount.fuse2pt fuse2pt-mount fuse2pt-umount; do
	status_is "$tool --help" 0 "$T_BIN/$tool" --help
	t_check "$tool --help prints a usage" grep -q "^usage: $tool " "$T_WORK/out"
	status_is "$tool --version" 0 "$T_BIN/$tool" --version
	t_check "$tool --version prints its name and fuse2pt's version" \
		grep -Eq "^$tool \(fuse2pt\) [0-9]+\.[0-9]+" "$T_WORK/out"
	status_is "$tool with no arguments: bad usage" 1 "$T_BIN/$tool"
	status_is "$tool --no-such-option: bad usage" 1 "$T_BIN/$tool" --no-such-option
done
t_pass

t_start exit-codes
status_is "mount.fuse2pt with one argument" 1 mount.fuse2pt none
status_is "mount.fuse2pt bad option" 1 mount.fuse2pt -t fuse2pt.hello_ll -o user_id=5 none "$MNT"
status_is "mount.fuse2pt as nobody" 1 as_nobody "$T_BIN/mount.fuse2pt" -t fuse2pt.hello_ll none "$MNT"
status_is "mount.fuse2pt program not found" 32 mount.fuse2pt -t fuse2pt.no-such-fs none "$MNT"
status_is "mount.fuse2pt mount point missing" 32 mount.fuse2pt -t fuse2pt.hello_ll none "$T_WORK/no/such/dir"
status_is "mount(8) passes the helper's 32 on" 32 mount -t fuse2pt.no-such-fs none "$MNT"
status_is "fuse2pt-umount of nothing mounted" 32 "$T_BIN/fuse2pt-umount" "$MNT"
status_is "fuse2pt-umount as nobody" 1 as_nobody "$T_BIN/fuse2pt-umount" "$MNT"
status_is "fuse2pt-mount of a program that cannot run" 32 "$T_BIN/fuse2pt-mount" "$MNT" /no/such/program
if t_need_module && t_check "mount for fuse2pt-umount's 64" mount -t fuse2pt.hello_ll none "$MNT"; then
	status_is "fuse2pt-umount of one mounted and one not" 64 "$T_BIN/fuse2pt-umount" "$MNT" "$T_WORK/src"
	t_check_fails "the mounted one is unmounted" t_is_mounted "$MNT"
	t_wait_for 20 no_server hello_ll
fi
[ -z "$(fuse_mounts)" ] || { _t_mark_fail "left mounted: $(fuse_mounts | tr '\n' ' ')"; umount -l "$MNT"; }
t_pass

# --- bad input ---
t_start bad-unknown-type
mount_fails "unknown type" "unknown type 'fuse2ptx'" -s 1 mount.fuse2pt -t fuse2ptx "$T_WORK/src" "$MNT"
t_start bad-missing-program
mount_fails "missing program" "program 'no-such-fs' not found" -s 32 \
	mount -t fuse2pt.no-such-fs "$T_WORK/src" "$MNT"
t_start bad-no-program-in-source
mount_fails "type fuse2pt without PROG#" "needs the program in the source" -s 1 \
	mount -t fuse2pt "$T_WORK/src" "$MNT"
t_start bad-option-number
mount_fails "max_read=lots" "bad option 'max_read=lots'" -s 1 \
	mount -t fuse2pt.bindfs -o max_read=lots "$T_WORK/src" "$MNT"
t_start bad-option-reserved
mount_fails "user_id=5" "user_id is set by mount.fuse2pt" -s 1 \
	mount -t fuse2pt.bindfs -o user_id=5 "$T_WORK/src" "$MNT"
t_start bad-option-noname
mount_fails "option without a name" "bad option '=x'" -s 1 \
	mount.fuse2pt -t fuse2pt.bindfs -o '=x' "$T_WORK/src" "$MNT"
t_start bad-option-value
mount_fails "allow_other=yes" "bad option 'allow_other=yes': takes no value" -s 1 \
	mount -t fuse2pt.bindfs -o allow_other=yes "$T_WORK/src" "$MNT"
t_start bad-option-blksize
mount_fails "blksize=4096" "bad option 'blksize=4096': blksize is for FUSE block-device mounts, which fuse2pt does not have" -s 1 \
	mount.fuse2pt -t fuse2pt.bindfs -o blksize=4096 "$T_WORK/src" "$MNT"
t_start bad-option-user
mount_fails "setuid=unknown user" "no such user" -s 1 \
	mount -t fuse2pt.bindfs -o setuid=no-such-user "$T_WORK/src" "$MNT"
t_start bad-option-program-rejects
# the program started and failed: its status is named, not "did not start"
mount_fails "an option bindfs does not know" "not mounted: bindfs exited with status [1-9]" -s 32 \
	mount -t fuse2pt.bindfs -o no-such-bindfs-option "$T_WORK/src" "$MNT"
t_start program-exits-1
mount_fails "a program that exits 1" "not mounted: f2p-exit1 exited with status 1$" -s 32 \
	mount -t fuse2pt.f2p-exit1 none "$MNT"
t_start bad-mountpoint
mount_fails "mount point missing" "mount point .*/no/such/dir: No such file or directory" -s 32 \
	mount.fuse2pt -t fuse2pt.bindfs "$T_WORK/src" "$T_WORK/no/such/dir"

t_start program-never-answers
# f2p-silent starts, exits 0 and never answers INIT: after its 30 s the
# helper aborts the connection, unmounts and exits 32, and nothing waits
# on the mount any more
if t_need_module; then
	ctl_before=$(awk '$2 == "/sys/fs/fuse2pt/connections"' /proc/mounts)
	t0=$(date +%s)
	rc=0
	out=$(mount -t fuse2pt.f2p-silent none "$MNT" 2>&1) || rc=$?
	took=$(( $(date +%s) - t0 ))
	t_note "status $rc after ${took}s: $out"
	t_expect_eq "exit status" "$rc" 32
	t_check "the message says so" grep -q "not mounted: f2p-silent started but its file system did not answer within 30 s" <<< "$out"
	t_check_fails "the connection was aborted (no warning)" grep -q "could not abort" <<< "$out"
	t_check "it waited its 30 s (took ${took}s)" test "$took" -ge 30
	t_check "and not much longer (took ${took}s)" test "$took" -le 90
	t_check_fails "nothing mounted on $MNT" t_is_mounted "$MNT"
	t_expect_eq "no FUSE mount left" "$(fuse_mounts)" ""
	t_expect_eq "the control file system is as it was" \
		"$(awk '$2 == "/sys/fs/fuse2pt/connections"' /proc/mounts)" "$ctl_before"
	# the superblock is gone, so its connection directory is too
	mkdir -p "$T_WORK/ctl"
	if t_check "mount fuse2ptctl" mount -t fuse2ptctl none "$T_WORK/ctl"; then
		t_wait_for 10 bash -c "[ -z \"\$(ls '$T_WORK/ctl')\" ]"
		t_expect_eq "connection directories left" "$(ls "$T_WORK/ctl")" ""
		umount "$T_WORK/ctl"
	fi
	t_check "no helper process left (its stat of the mount ended)" no_server mount.fuse2pt
	pid=$(cat "$T_WORK/silent.pid" 2>/dev/null)
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
	else
		_t_mark_fail "f2p-silent's sleeping process is not there (pid '${pid}')"
	fi
fi
t_pass

t_start bad-module-not-loaded
if t_need_module && t_check "rmmod fuse2pt" rmmod fuse2pt; then
	# no /lib/modules in the guest: modprobe cannot help
	mount_fails "module not loaded" "fuse2pt module is not loaded and 'modprobe fuse2pt' failed" -s 32 \
		mount -t fuse2pt.bindfs "$T_WORK/src" "$MNT"

	# -f as an ordinary user, module not loaded: it says what it would do
	# and does none of it (no modprobe, no mount, no program)
	t_start dry-run-unprivileged
	rm -f "$T_WORK/marker"
	rc=0
	# (no PATH, as mount(8) runs helpers: the default search finds f2p-marker)
	out=$(as_nobody env -u PATH "$T_BIN/mount.fuse2pt" -f -o 'ro,fsname=a\,b,drop_privileges,x-y' -t fuse2pt.f2p-marker none "$MNT" 2>&1) || rc=$?
	t_note "$out"
	t_expect_eq "dry run status" "$rc" 0
	t_check "it would run modprobe" grep -q "^would run: modprobe fuse2pt " <<< "$out"
	t_check "it shows the mount(2) call" \
		grep -Fq "would mount(\"a,b\", \"$MNT\", \"fuse2pt.f2p-marker\", MS_RDONLY|MS_NOSUID|MS_NODEV, \"fd=" <<< "$out"
	t_check "it shows the program's command line" \
		grep -Eq "^would run without capabilities, no_new_privs set: f2p-marker /dev/fd/[0-9]+ \(/usr/local/bin/f2p-marker\)" <<< "$out"
	t_check_fails "the module is still not loaded" t_module_loaded
	t_check_fails "nothing mounted" t_is_mounted "$MNT"
	t_check_fails "the program did not run" test -e "$T_WORK/marker"
	t_pass
	t_start module-reload
	insmod "$T_MOD" && t_wait_for 5 test -c /dev/fuse2pt
	t_check "module back" t_module_loaded
else
	t_pass
fi
t_start helper-works-after-reload
if t_need_module && t_check "mount after reload" mount -t fuse2pt.bindfs "$T_WORK/src" "$MNT"; then
	t_expect_eq "content" "$(cat "$MNT/file")" data
	t_check "umount" umount "$MNT"
	t_wait_for 20 no_server bindfs
fi
t_pass
rm -f /usr/local/bin/f2p-exit1 /usr/local/bin/f2p-silent /usr/local/bin/f2p-marker
