#!/usr/bin/env bash
# Scale-out on one machine: N shard processes in N separate clones (standing in for N CI
# machines), each `stomper fix --shard I/N --bundle DIR`, then `stomper land` of every bundle in
# another clone. Prints the figures docs/SCALE.md reports.
#
#   bash Demos/shard-demo.sh [--files 200] [--shards "1 2 4"] [--agent-ms 2000] [--parallel 4]
#                            [--critical-path] [DIR]
#
# The fixer is the scripted `stomper-mock-agent`, standing in for an AI coding CLI: it waits
# --agent-ms per file (using no CPU), then deletes the file's unused import (ruff F401).
# For each shard count it reports:
#   wall      all shards at once on this machine, then land (the shards share its cores)
#   slowest   the slowest shard of that concurrent run
#   critical  with --critical-path: each shard run alone (as on its own machine), the slowest of
#             them plus land — what N machines would take
#   land      the land step alone, and its throughput in fixes per second
# Land throughput at scale: --files 10000 --shards 1 --agent-ms 0.
set -euo pipefail
cd "$(dirname "$0")/.."
files=200
shards="1 2 4"
agent_ms=2000
parallel=4
critical=false
while [ $# -gt 0 ]; do
  case "$1" in
    --files) files=$2; shift 2 ;;
    --shards) shards=$2; shift 2 ;;
    --agent-ms) agent_ms=$2; shift 2 ;;
    --parallel) parallel=$2; shift 2 ;;
    --critical-path) critical=true; shift ;;
    -h|--help) sed -n 2,18p "$0"; exit 0 ;;
    -*) echo "shard-demo: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) break ;;
  esac
done
command -v ruff >/dev/null 2>&1 || bash scripts/install-deps.sh
bin="$(swift build --show-bin-path)"
if [ ! -x "$bin/stomper" ] || [ ! -x "$bin/stomper-mock-agent" ]; then
  swift build --product stomper
  swift build --product stomper-mock-agent
fi
stomper="$bin/stomper"
mock="$bin/stomper-mock-agent"
work=${1:-$(mktemp -d /tmp/stomper-shard-demo.XXXXXX)}
mkdir -p "$work"

# The repository: FILES modules, each with one unused import (F401) and nothing else to fix.
origin="$work/origin"
rm -rf "$origin"
mkdir -p "$origin/src/app"
(
  cd "$origin"
  git init -q -b main
  git config user.name "Shard Demo"
  git config user.email "demo@example.com"
  printf '[tool.ruff]\nline-length = 100\n[tool.ruff.lint]\nselect = ["F401"]\n' > pyproject.toml
  for i in $(seq 1 "$files"); do
    printf 'import os\n\n\ndef value_%s() -> int:\n    return %s\n' "$i" "$i" > "src/app/module_$i.py"
  done
  git add -A
  git commit -qm "demo: $files modules with an unused import"
)
script="$work/mock-agent-script.json"
printf '{"files": {"*": [{"sleep_ms": %s}, {"delete_lines_containing": "import os"}]}}\n' "$agent_ms" > "$script"
export STOMPER_AGENT_COMMAND="[\"$mock\", \"--script\", \"$script\", \"{file}\"]"
export STOMPER_CI=0

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
greater() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }

# clone NAME: a fresh clone of the origin (a CI checkout).
clone() {
  rm -rf "$work/$1"
  git clone -q "$origin" "$work/$1"
  git -C "$work/$1" config user.name "Shard Demo"
  git -C "$work/$1" config user.email "demo@example.com"
}

# shard I N: shard I of N in its own clone; prints its wall time in seconds.
shard() {
  local name="shard-$2-$1" start end
  clone "$name"
  start=$(now)
  (cd "$work/$name" && "$stomper" fix --agent command --parallel "$parallel" --shard "$1/$2" \
    --bundle "$work/bundles-$2/$1" > "$work/$name.log" 2>&1) || {
    echo "shard-demo: shard $1/$2 failed, see $work/$name.log" >&2
    tail -5 "$work/$name.log" >&2
    return 1
  }
  end=$(now)
  elapsed "$start" "$end"
}

# land N: lands the N shards' bundles in a fresh clone; prints "seconds fixes".
land() {
  local name="lander-$1" start end
  clone "$name"
  start=$(now)
  (cd "$work/$name" && "$stomper" land --parallel "$parallel" "$work/bundles-$1"/* > "$work/$name.log" 2>&1) || {
    echo "shard-demo: land of $1 shards failed, see $work/$name.log" >&2
    tail -5 "$work/$name.log" >&2
    return 1
  }
  end=$(now)
  echo "$(elapsed "$start" "$end") $(git -C "$work/$name" rev-list --count HEAD ^origin/main)"
}

echo "shard-demo: $files files, mock agent ${agent_ms} ms per file, --parallel $parallel per shard, in $work"
printf '| shards | wall (all at once + land) | slowest shard | land | land fixes/s | critical path (slowest alone + land) |\n'
printf '|---:|---:|---:|---:|---:|---:|\n'
for count in $shards; do
  rm -rf "$work/bundles-$count"
  mkdir -p "$work/bundles-$count"
  start=$(now)
  slowest=0
  pids=()
  for i in $(seq 1 "$count"); do
    (shard "$i" "$count" > "$work/time-$count-$i") &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  for i in $(seq 1 "$count"); do
    t=$(cat "$work/time-$count-$i")
    if greater "$t" "$slowest"; then slowest=$t; fi
  done
  read -r land_seconds landed < <(land "$count")
  end=$(now)
  wall=$(elapsed "$start" "$end")
  critical_path="-"
  if $critical; then
    alone=0
    for i in $(seq 1 "$count"); do
      rm -rf "$work/bundles-$count/$i"
      t=$(shard "$i" "$count")
      if greater "$t" "$alone"; then alone=$t; fi
    done
    critical_path=$(awk -v a="$alone" -v b="$land_seconds" 'BEGIN { printf "%.1f s", a + b }')
  fi
  rate=$(awk -v n="$landed" -v t="$land_seconds" 'BEGIN { printf "%.1f", n / t }')
  printf '| %s | %.1f s | %.1f s | %.1f s (%s fixes) | %s | %s |\n' \
    "$count" "$wall" "$slowest" "$land_seconds" "$landed" "$rate" "$critical_path"
  if [ "$landed" -ne "$files" ]; then
    echo "shard-demo: $count shards landed $landed of $files fixes; see $work/lander-$count.log" >&2
    exit 1
  fi
done
