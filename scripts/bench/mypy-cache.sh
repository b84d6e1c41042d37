#!/bin/sh
# Generates a 50-module strict mypy package (scripts/bench/mypy-package.py) whose 9 files hold one
# type error each, and fixes them with the mock agent at P = 4 (docs/PERFORMANCE.md, "mypy").
# usage: scripts/bench/mypy-cache.sh BUILD_DIR true|false   (linters.mypy.cache; BUILD_DIR holds stomper and stomper-mock-agent)
set -e
mkdir -p ${TMPDIR:-/tmp}/stomper-mypy-bench
HERE=$(cd "$(dirname "$0")" && pwd); B=$(cd "$1" && pwd); CACHE=$2; R=${TMPDIR:-/tmp}/stomper-mypy-bench/bench-$CACHE
rm -rf $R && python3 "$HERE/mypy-package.py" $R && cd $R
sh "$HERE/mypy-fix.sh" "$B" $CACHE ${TMPDIR:-/tmp}/stomper-mypy-bench
