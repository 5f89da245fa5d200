#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# libfuse's passthrough_ll (3.17) over a tree in /tmp/src, on fuse2pt and
# on stock fuse: each shows the source exactly, and the two agree.
# timeout: 300
. /tests/lib.sh
. /tests/passthrough-suite.sh
pt_suite passthrough_ll "" -f -o source="$T_SRC"
