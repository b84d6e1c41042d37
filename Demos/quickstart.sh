#!/usr/bin/env bash
# The README's quick start: install what is missing, build stomper, make a demo repository with
# ruff errors, and run `stomper fix --parallel 4` on it with the built-in autofix agent.
#
#   bash Demos/quickstart.sh [DEMO_DIR]     (default: a new folder under /tmp)
#
# Exits with stomper's own exit status: 0 when every diagnostic was fixed, 1 when some are left
# (the demo has errors only an AI agent can fix), 2 on an error. STOMPER_BIN=path skips the build
# and runs that binary (the test suite does, since it already built it).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${STOMPER_BIN:-}" ]; then
  stomper=$STOMPER_BIN
  unset STOMPER_BIN   # stomper warns about STOMPER_* variables it does not know
else
  bash scripts/install-deps.sh
  swift build --product stomper
  stomper="$(swift build --show-bin-path)/stomper"
fi
demo=${1:-$(mktemp -d /tmp/stomper-demo.XXXXXX)/repo}
bash Demos/make-demo-repo.sh "$demo"
cd "$demo"
status=0
"$stomper" fix --parallel 4 || status=$?
echo
echo "demo: git log in $demo:"
git log --oneline -8
echo "demo: stomper exited with $status (1 = some diagnostics need an AI agent: they are not autofixable)"
exit "$status"
