#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# passthrough_ll built against Debian 12's libfuse 3.14 (protocol 7.38
# server) over a tree in /tmp/src, on fuse2pt and on stock fuse.
# timeout: 300
. /tests/lib.sh
. /tests/passthrough-suite.sh
pt_suite passthrough_ll-314 "" -f -o source="$T_SRC"
