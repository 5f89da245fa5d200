#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The example test of fuse2pt-ci (README "Test your server's passthrough
# in CI", tests/host/ci-tool.sh): write, read back and change through a
# shared mmap one file on the mount given as $1, and check that the
# served directory ($F2P_CI_SRC) holds the result.
set -eu
m=$1
head -c 4194304 /dev/urandom > /tmp/data
cp /tmp/data "$m/data"
cmp /tmp/data "$m/data"
python3 - "$m/data" <<'PY'
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
with mmap.mmap(fd, 0) as mm:
    mm[4096:4101] = b"hello"
    mm.flush()
os.close(fd)
PY
printf hello | dd of=/tmp/data bs=1 seek=4096 conv=notrunc status=none
cmp /tmp/data "$m/data"
cmp /tmp/data "$F2P_CI_SRC/data"
echo "read, write and mmap of a 4 MiB file on $m: ok"
