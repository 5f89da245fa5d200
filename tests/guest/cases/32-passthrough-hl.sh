#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# libfuse's high-level passthrough (3.17, exports /) over a tree in
# /tmp/src, on fuse2pt and on stock fuse.
# timeout: 300
. /tests/lib.sh
. /tests/passthrough-suite.sh
pt_suite passthrough tmp/src -f
