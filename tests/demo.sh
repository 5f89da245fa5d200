#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: build fuse2pt.ko and the helpers, boot a stock Debian kernel
# (6.1 unless given: 6.1, 6.12 or 7.3) and show what passthrough changes:
# libfuse's passthrough_hp on stock fuse and on fuse2pt, the READ and
# WRITE requests it saw through each, fuse2pt's counters and read
# throughput side by side (tests/guest/demo-guest.sh).  The guest's
# console is streamed to the terminal.
set -uo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$TOP/tests/lib/vm.sh"
. "$TOP/tests/lib/build.sh"

need_root
TAG=${1:-6.1}
case $TAG in 6.1|6.12|7.3) ;; *) die "unknown kernel tag '$TAG' (6.1, 6.12, 7.3)" ;; esac

bash "$TOP/tests/lib/host-setup.sh" || die "host setup failed"
bash "$TOP/tests/lib/guest-image.sh" || die "guest image failed"
mkdir -p "$WORK"
build_progs || log "some test programs did not build"
build_module "$TAG" || log "fuse2pt.ko did not build cleanly for $TAG"
make_image "$TAG" || die "cannot make the initramfs"

dir=$WORK/$TAG/demo
log "booting $TAG ($(kver_of "$TAG")) under $(vm_accel); console follows"
VM_LOGLEVEL=4 vm_boot "$(vmlinuz_of "$TAG")" "$WORK/$TAG/run.img" "$dir" 600 \
	f2ptest.tag="$TAG" f2ptest.mode=demo &
pid=$!
sleep 1
tail -n +1 -f --pid=$pid "$dir/console.log"
wait $pid
rc=$?
grep -q '^RESULT PASS demo:demo' "$dir/results.log" && exit 0
log "demo failed (qemu status $rc); console: $dir/console.log"
exit 1
