#!/bin/sh
# The common end of the mypy benchmarks: in the current folder (a generated project whose type
# errors carry "stomper-bench: type error"), commits it and times `stomper fix` with mypy alone
# verifying and the mock agent deleting those lines, at P = 4.
# usage (from mypy-cache.sh and mypy-realworld.sh): sh mypy-fix.sh BUILD_DIR true|false WORK_DIR
set -e
B=$(cd "$1" && pwd); CACHE=$2; W=$3
printf '{"files": {"*": [{"delete_lines_containing": "stomper-bench: type error"}]}}' > $W/script.json
cat > stomper.toml <<TOML
[linters]
enabled = ["mypy"]
[linters.mypy]
cache = $CACHE
[fix]
agent = "command"
parallel = 4
[agent]
command = ["$B/stomper-mock-agent", "--script", "$W/script.json", "{file}"]
TOML
git init -q -b main && git add -A && git -c user.name=b -c user.email=b@l commit -qm init
/usr/bin/time -f "wall %e s, user %U s, sys %S s" $B/stomper fix
