# SPDX-License-Identifier: GPL-2.0
# Shared shell helpers for the fuse2pt host-side scripts.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Downloads, kernels and guest images live outside the work tree so that a
# fresh clone (CI) on the same machine reuses them.
CACHE=${FUSE2PT_CACHE:-/var/cache/fuse2pt}
mkdir -p "$CACHE" 2>/dev/null || true

log()  { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die()  { log "error: $*"; exit 1; }
need_root() { [ "$(id -u)" = 0 ] || die "must run as root (apt, chroot, debootstrap)"; }
