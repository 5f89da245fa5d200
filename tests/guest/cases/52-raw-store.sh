#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# FUSE_NOTIFY_STORE, FUSE_NOTIFY_RETRIEVE and INVAL_INODE ranges from a
# raw server: the "store" mode of 51-raw-replies.sh on its own (see
# rb_ops_store there):
# good notifications put data into and read it back from the page cache,
# malformed ones (sizes that lie, unknown nodeids, a directory, offsets
# past the largest file size) are refused with stock fuse's errno and
# change nothing; fuse2pt and stock fuse must agree.

RB_MODES=store
. "$(dirname "${BASH_SOURCE[0]}")/51-raw-replies.sh"
