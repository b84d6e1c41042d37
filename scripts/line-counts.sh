#!/usr/bin/env bash
# Lines per module (Sources/*), and the largest file of each, as a Markdown table for
# docs/ARCHITECTURE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "| module | files | lines | largest file (lines) |"
echo "|---|---:|---:|---|"
total=0
for module in Sources/*/; do
  name=$(basename "$module")
  files=$(find "$module" -name '*.swift' | wc -l)
  [ "$files" -gt 0 ] || continue
  lines=$(find "$module" -name '*.swift' -exec cat {} + | wc -l)
  largest=$(find "$module" -name '*.swift' -exec wc -l {} + | grep -v ' total$' | sort -rn | head -1)
  total=$((total + lines))
  echo "| \`$name\` | $files | $lines | $(basename "$(echo "$largest" | awk '{print $2}')") ($(echo "$largest" | awk '{print $1}')) |"
done
echo "| all | | $total | |"
