#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# hello_ll built against Debian 12's libfuse 3.14 (a 7.38 server), on
# fuse2pt and on stock fuse.
. /tests/lib.sh
. /tests/hello-suite.sh
hello_suite hello_ll-314
