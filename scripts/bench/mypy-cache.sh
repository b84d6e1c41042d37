#!/bin/sh
# Generates a 50-module strict mypy package (scripts/bench/mypy-package.py) whose 9 files hold one
# type error each, and fixes them with the mock agent at P = 4 (docs/PERFORMANCE.md, "mypy").
# usage: scripts/bench/mypy-cache.sh BUILD_DIR true|false   (linters.mypy.cache; BUILD_DIR holds stomper and stomper-mock-agent)
set -e
mkdir -p ${TMPDIR:-/tmp}/stomper-mypy-bench
B=$1; CACHE=$2; R=${TMPDIR:-/tmp}/stomper-mypy-bench/bench-$CACHE
rm -rf $R && python3 "$(dirname "$0")/mypy-package.py" $R && cd $R
printf '{"files": {"*": [{"delete_lines_containing": "stomper-bench: type error"}]}}' > ${TMPDIR:-/tmp}/stomper-mypy-bench/script.json
cat > stomper.toml <<TOML
[linters]
enabled = ["mypy"]
[linters.mypy]
cache = $CACHE
[fix]
agent = "command"
parallel = 4
[agent]
command = ["$B/stomper-mock-agent", "--script", "${TMPDIR:-/tmp}/stomper-mypy-bench/script.json", "{file}"]
TOML
git init -q -b main && git add -A && git -c user.name=b -c user.email=b@l commit -qm init
/usr/bin/time -f "wall %e s, user %U s, sys %S s" $B/stomper fix
