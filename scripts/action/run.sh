#!/usr/bin/env bash
# The action's fix step: `stomper fix` with the inputs as flags. stomper writes the step's outputs
# ($GITHUB_OUTPUT), annotations and job summary itself. Exit status 1 (diagnostics left) fails the
# step only with fail-on-remaining: true; 2 (an error) always does.
set -euo pipefail
args=(fix)
[ -n "${INPUT_BRANCH:-}" ] && args+=(--branch "$INPUT_BRANCH")
[ -n "${INPUT_AGENT:-}" ] && args+=(--agent "$INPUT_AGENT")
[ -n "${INPUT_PARALLEL:-}" ] && args+=(--parallel "$INPUT_PARALLEL")
[ -n "${INPUT_PATCHES:-}" ] && args+=(--patches "$INPUT_PATCHES")
if [ -n "${INPUT_ARGS:-}" ]; then
  # Split at white space, line breaks included (a YAML block of arguments); never evaluated.
  read -r -d '' -a extra <<< "$INPUT_ARGS" || true
  args+=("${extra[@]}")
fi
status=0
"${STOMPER:-stomper}" "${args[@]}" || status=$?
if [ "$status" = 1 ] && [ "${INPUT_FAIL_ON_REMAINING:-false}" != true ]; then
  echo "stomper: diagnostics are left (see the annotations and the job summary); fail-on-remaining is off"
  exit 0
fi
exit "$status"
