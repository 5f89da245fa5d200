#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# libfuse's hello_ll (3.17) on fuse2pt and on stock fuse.
. /tests/lib.sh
. /tests/hello-suite.sh
hello_suite hello_ll
