#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A test that never ends (tests/host/ci-tool.sh): fuse2pt-ci must kill
# it, and the sleep it started, at its --timeout and say so.
echo "reading $1, then waiting forever"
ls "$1" > /dev/null
sleep 100000
