#!/usr/bin/env bash
# Creates a git repository of Python files with ruff errors, for trying stomper.
#
#   bash Demos/make-demo-repo.sh DIR [FIXABLE] [UNFIXABLE]
#
# FIXABLE files (default 24) have only errors ruff fixes itself (unused imports, unsorted imports,
# f-strings without placeholders, old typing aliases). UNFIXABLE files (default 4) have errors that
# need a person or an AI agent (undefined names, ambiguous names). One more file mixes both.
set -euo pipefail

dir=${1:?usage: make-demo-repo.sh DIR [FIXABLE] [UNFIXABLE]}
fixable=${2:-24}
unfixable=${3:-4}

if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
  echo "make-demo-repo: $dir exists and is not empty; pick a new folder" >&2
  exit 2
fi
mkdir -p "$dir/src/demo"
cd "$dir"
git init -q -b main
git config user.name "Demo User"
git config user.email "demo@example.com"

cat > pyproject.toml <<'TOML'
[project]
name = "demo"
version = "0.1.0"

[tool.ruff]
target-version = "py311"

[tool.ruff.lint]
select = ["E", "F", "I", "UP"]
TOML
printf '__pycache__/\n' > .gitignore
: > src/demo/__init__.py

for i in $(seq -w 1 "$fixable"); do
  cat > "src/demo/fixable_$i.py" <<PY
import sys
import os
from typing import List


def total_$i(values: List[int]) -> int:
    label = f"total"
    print(label)
    return sum(values) + $((10#$i))
PY
done

for i in $(seq -w 1 "$unfixable"); do
  cat > "src/demo/unfixable_$i.py" <<PY
def scale_$i(value: int) -> int:
    l = value * $((10#$i))
    return l + missing_name_$i
PY
done

cat > src/demo/mixed.py <<'PY'
import os


def mixed() -> int:
    return undefined_value
PY

git add -A
git commit -q -m "Demo project with lint errors"
echo "demo repository ready: $dir ($fixable fixable, $unfixable unfixable, 1 mixed file)"
