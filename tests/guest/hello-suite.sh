# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The hello_ll cases (20-*, 21-*): libfuse's hello_ll on fuse2pt and on
# stock fuse.  The tree is fixed (/ and /hello, "Hello World!\n"), so the
# expected values are absolute; the two mounts must also agree on
# everything (st_dev aside).  Source after lib.sh.

hello_one() {	# TYPE PROG
	local type=$1 prog=$2 mnt=$T_WORK/mnt/$1 snap=$T_WORK/snap/$1
	t_start "$type:mount"
	if ! t_mount "$type" "$mnt" "$prog" -f; then
		t_pass
		return 1
	fi
	t_expect_eq "mount type" "$(t_mount_type "$mnt")" "$type.$(basename "$prog")"
	t_pass

	t_start "$type:ls"
	t_expect_eq "ls -1" "$(ls -1 "$mnt")" hello
	t_expect_eq "ls -1a" "$(ls -1a "$mnt" | tr '\n' ' ')" ". .. hello "
	t_pass

	t_start "$type:cat"
	t_expect_eq "cat hello" "$(cat "$mnt/hello")" "Hello World!"
	t_expect_eq "byte count" "$(wc -c < "$mnt/hello")" 13
	t_check "read at offset 6" test "$(tail -c +7 "$mnt/hello")" = "World!"
	t_pass

	t_start "$type:stat"
	t_expect_eq "stat hello" "$(stat -c '%s %b %f %h %u %g %i %F' "$mnt/hello")" \
		"13 0 8124 1 0 0 2 regular file"
	t_expect_eq "stat root" "$(stat -c '%f %h %u %g %i %F' "$mnt")" "41ed 2 0 0 1 directory"
	t_check_fails "write to the read-only file is refused" bash -c "echo x > $mnt/hello"
	t_check_fails "a missing name is ENOENT" stat "$mnt/nothere"
	t_pass

	t_snapshot "$mnt" "$snap"

	t_start "$type:umount"
	t_umount "$mnt"
	t_pass
}

hello_suite() {	# PROG
	local prog=$1 f
	t_start binary
	t_need_bin "$prog"
	t_pass
	hello_one fuse2pt "$prog"
	hello_one fuse "$prog"
	t_start fuse2pt-vs-fuse
	if [ -d "$T_WORK/snap/fuse2pt" ] && [ -d "$T_WORK/snap/fuse" ]; then
		for f in ls find stat statfs md5 du du-all; do
			t_expect_files_eq "$f" "$T_WORK/snap/fuse/$f" "$T_WORK/snap/fuse2pt/$f"
		done
		t_pass
	else
		t_fail "a mount failed; nothing to compare"
	fi
}
