#!/usr/bin/env bash
# The agent fallback chain on a demo repository: `autofix` (ruff's own fixes) first, then a
# `command` agent for what ruff cannot fix, then what stomper learnt.
#
#   bash Demos/chain-demo.sh [DEMO_DIR]     (default: a new folder under /tmp)
#
# The repository (Demos/make-demo-repo.sh) has 8 files whose errors ruff fixes itself, 4 whose
# errors it cannot fix (E741 ambiguous name `l`, F821 undefined name) and one mixing both. The
# command agent is the scripted `stomper-mock-agent`, standing in for an AI coding CLI: its script
# fixes the 4 + 1 files with `replace` steps. Every file ends fixed, so stomper exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v ruff >/dev/null 2>&1 || bash scripts/install-deps.sh
bin="$(swift build --show-bin-path)"
if [ ! -x "$bin/stomper" ] || [ ! -x "$bin/stomper-mock-agent" ]; then
  swift build --product stomper
  swift build --product stomper-mock-agent
fi
stomper="$bin/stomper"
mock="$bin/stomper-mock-agent"

demo=${1:-$(mktemp -d /tmp/stomper-chain-demo.XXXXXX)/repo}
unfixable=4
bash Demos/make-demo-repo.sh "$demo" 8 "$unfixable"

# The mock agent's script lives beside the repository, not in it (a file in the worktree is
# outside the fix's scope). One entry per file: the steps that fix its E741 and F821.
script="$(dirname "$demo")/mock-agent-script.json"
{
  printf '{"files": {\n'
  for i in $(seq -w 1 "$unfixable"); do
    n=$((10#$i))
    printf '  "src/demo/unfixable_%s.py": [\n' "$i"
    printf '    {"replace": {"old": "def scale_%s", "new": "OFFSET_%s = %s\\n\\n\\ndef scale_%s"}},\n' "$i" "$i" "$n" "$i"
    printf '    {"replace": {"old": "    l = value", "new": "    scaled = value"}},\n'
    printf '    {"replace": {"old": "return l + missing_name_%s", "new": "return scaled + OFFSET_%s"}}],\n' "$i" "$i"
  done
  printf '  "src/demo/mixed.py": [\n'
  printf '    {"replace": {"old": "    return undefined_value", "new": "    undefined_value = 0\\n    return undefined_value"}}]\n'
  printf '}}\n'
} > "$script"
echo "demo: mock agent script $script"

cd "$demo"
# The command agent's argv as JSON (agent.command); {file} is the file, relative to the worktree.
export STOMPER_AGENT_COMMAND="[\"$mock\", \"--script\", \"$script\", \"{file}\"]"
status=0
"$stomper" fix --parallel 4 --chain autofix,command || status=$?
echo
echo "demo: git log in $demo:"
git log --oneline | head -16
echo
"$stomper" stats --learning
echo
remaining=0
ruff check --quiet . || remaining=$?
echo "demo: stomper exited with $status; ruff check on the branch exited with $remaining (0 = every file fixed)"
[ "$status" -eq 0 ] && [ "$remaining" -eq 0 ] && [ -z "$(git status --porcelain)" ]
