#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The test for ptraw, the raw test server (tests/host/ci-tool.sh): the
# one file it serves, /file, reads back equal to its backing file.
set -eu
cmp "$F2P_CI_SRC/back" "$1/file"
echo "$1/file equals its backing file"
