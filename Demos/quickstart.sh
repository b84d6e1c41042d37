#!/usr/bin/env bash
# The README's quick start: install what is missing, build stomper, make a demo repository with
# ruff errors, and run `stomper fix --parallel 4` on it with the built-in autofix agent.
#
#   bash Demos/quickstart.sh [DEMO_DIR]     (default: a new folder under /tmp)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build --product stomper
stomper="$(swift build --show-bin-path)/stomper"
demo=${1:-$(mktemp -d /tmp/stomper-demo.XXXXXX)/repo}
bash Demos/make-demo-repo.sh "$demo"
cd "$demo"
status=0
"$stomper" fix --parallel 4 || status=$?
echo
echo "demo: git log in $demo:"
git log --oneline | head -8
echo "demo: stomper exited with $status (1 = some files need an AI agent: their errors are not autofixable)"
