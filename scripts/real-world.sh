#!/usr/bin/env bash
# real-world.sh — measure `stomper fix` against `ruff check --fix` alone on a real public Python project
# (issue 13; results in docs/REAL-WORLD.md). Nothing is committed anywhere but in throw-away clones under
# $RW/NAME; the project's code never enters this repository.
#
# Usage: scripts/real-world.sh NAME SOURCE COMMIT 'TEST_CMD' [PHASE ...]
#   NAME      short name; everything goes to $RW/NAME (prep/, exp-*/, results/)
#   SOURCE    what to `git clone` (a URL such as https://github.com/pallets/click, or a local mirror)
#   COMMIT    the commit measured (the broad rule set is committed on top of it: the "base")
#   TEST_CMD  shell command run at a checkout's root; must pass on the base, e.g.
#             'PYTHONPATH=src $RW/venv-click/bin/python -m pytest -q -x -p no:cacheprovider'
#             (it must import the checkout under test, not an installed copy: PYTHONPATH=src or .)
#   PHASE     any of: prep ruff default tests partial partialtests (default: all, in that order)
#               prep         clone at COMMIT, adopt the broad rules (adopt_rules.py), commit, run the tests
#               ruff         `ruff check --fix` alone on a fresh clone of the base
#               default      `stomper fix --parallel $PARALLEL` with default settings (no config at all)
#               tests        the same with verify.test_command = ["bash","-c",TEST_CMD]; every landed
#                            commit is then tested in a separate worktree
#               partial      fix.land_partial = true (the default since issue 13; kept for old binaries)
#               partialtests fix.land_partial = true and verify.test_command; every commit tested
#               finaltests   verify.test_command with verify.test_scope = "final" (the suite once after
#                            the run, culprits bisected and reverted); every commit tested
# Environment:
#   RW          work directory for clones and results (default: ./real-world-runs)
#   STOMPER     the binary measured (default: .build/release/stomper of this repository if built,
#               else `stomper` on PATH)
#   PARALLEL    --parallel of `stomper fix` (default 4)
#   VERIFY_EACH=1  test every landed commit in the variants without a test command too
#   VERIFY_JOBS test that many commits at a time, each in its own worktree (default 1; only for test
#               suites that do not share state outside the checkout)
#   SUFFIX      appended to the stomper variants' names (e.g. SUFFIX=-new -> default-new, tests-new), so
#               that measurements of several binaries sit side by side in one results folder
# Needs: git, ruff, python3 >= 3.11 (tomllib), bash >= 5 (EPOCHREALTIME).
# Results: $RW/NAME/results/<variant>.* and one line per variant in $RW/NAME/results/summary.tsv.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RW=${RW:-$PWD/real-world-runs}
if [ -z "${STOMPER:-}" ]; then
    if [ -x "$HERE/../.build/release/stomper" ]; then STOMPER=$HERE/../.build/release/stomper
    else STOMPER=$(command -v stomper || true); fi
fi
PARALLEL=${PARALLEL:-4}
SUFFIX=${SUFFIX:-}
VERIFY_JOBS=${VERIFY_JOBS:-1}

[ $# -ge 4 ] || { sed -n '2,31p' "$0"; exit 2; }
[ -n "$STOMPER" ] && [ -x "$STOMPER" ] || { echo "real-world.sh: no stomper binary (set STOMPER)" >&2; exit 2; }
command -v ruff >/dev/null || { echo "real-world.sh: ruff not on PATH" >&2; exit 2; }
RW=$(mkdir -p "$RW" && cd "$RW" && pwd); export RW
STOMPER=$(cd "$(dirname "$STOMPER")" && pwd)/$(basename "$STOMPER")
NAME=$1 SOURCE=$2 COMMIT=$3 TEST_CMD=$4
shift 4
PHASES=${*:-prep ruff default tests partial partialtests}

P=$RW/$NAME
R=$P/results
mkdir -p "$R"

log() { printf '[%s %s] %s\n' "$(date +%T)" "$NAME" "$*" >&2; }
now() { echo "$EPOCHREALTIME"; }
elapsed() { python3 -c "print(f'{$2 - $1:.1f}')"; }

# count DIR -> number of ruff diagnostics in the checkout (the project's own config)
count() {
    (cd "$1" && ruff check --no-cache --exit-zero --output-format json . 2>/dev/null) |
        python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}
# codes DIR OUT -> per-code counts, "fixable" = ruff offers a safe fix
codes() {
    (cd "$1" && ruff check --no-cache --exit-zero --output-format json . 2>/dev/null) > "$2.json"
    python3 - "$2.json" > "$2.txt" <<'EOF'
import collections, json, sys
d = json.load(open(sys.argv[1]))
c = collections.Counter(x["code"] for x in d)
safe = collections.Counter(x["code"] for x in d if x.get("fix") and x["fix"].get("applicability") == "safe")
files = {x["filename"] for x in d}
print(f"total {len(d)} in {len(files)} files; with a safe fix {sum(safe.values())} in "
      f"{len({x['filename'] for x in d if x.get('fix') and x['fix'].get('applicability') == 'safe'})} files")
for code, n in c.most_common():
    print(f"{code:8} {n:5}  safe-fixable {safe.get(code, 0)}")
EOF
}
# tests DIR LOG -> pass|fail
tests() {
    if (cd "$1" && bash -c "$TEST_CMD") > "$2" 2>&1; then echo pass; else echo fail; fi
}
# fresh DIR -> a new clone of the prepared base, on branch "measure"
fresh() {
    rm -rf "$1"
    git clone -q "$P/prep" "$1"
    git -C "$1" config user.name "rw-measure"
    git -C "$1" config user.email "rw-measure@example.invalid"
}
base() { cat "$R/base"; }

phase_prep() {
    log "prep: clone $SOURCE at $COMMIT"
    rm -rf "$P/prep"
    git clone -q "$SOURCE" "$P/prep"
    cd "$P/prep"
    git checkout -q -B measure "$COMMIT"
    git config user.name "rw-measure"
    git config user.email "rw-measure@example.invalid"
    python3 "$HERE/adopt_rules.py" pyproject.toml >&2
    git commit -q -am "adopt broad ruff rules"
    git rev-parse HEAD > "$R/base"
    echo "$COMMIT" > "$R/commit"
    ruff --version > "$R/ruff-version"
    "$STOMPER" --version > "$R/stomper-version" 2>&1 || true
    log "prep: tests on the base"
    local t; t=$(tests "$P/prep" "$R/prep-tests.log")
    log "prep: tests $t ($(tail -1 "$R/prep-tests.log"))"
    [ "$t" = pass ] || { log "the tests must pass on the base"; exit 1; }
    codes "$P/prep" "$R/diagnostics-before"
    ruff check --no-cache --exit-zero --statistics "$P/prep" > "$R/ruff-statistics-before.txt" 2>&1 || true
}

phase_ruff() {
    local D=$P/exp-ruff
    fresh "$D"; cd "$D"
    local before after rc=0 t0 t1
    before=$(count "$D")
    t0=$(now)
    ruff check --fix --no-cache . > "$R/ruff.out" 2>&1 || rc=$?
    t1=$(now)
    after=$(count "$D")
    codes "$D" "$R/ruff-after"
    git diff --stat > "$R/ruff-diffstat.txt"
    local files; files=$(git diff --name-only | wc -l)
    local t; t=$(tests "$D" "$R/ruff-tests.log")
    local wall; wall=$(elapsed "$t0" "$t1")
    log "ruff alone: $before -> $after (fixed $((before - after))) in $files files, ${wall}s, exit $rc, tests $t"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' ruff "$before" "$after" "$((before - after))" \
        "$files" "-" "-" "$wall" "$rc" "$t" "-" >> "$R/summary.tsv"
}

# verify_one D VARIANT REV -> tests REV in its own worktree; prints "REV<TAB>pass|fail<TAB>subject"
verify_one() {
    local D=$1 V=$2 rev=$3 W=$P/verify-$2-$3 t
    git -C "$D" worktree add -q --detach "$W" "$rev"
    t=$(tests "$W" "$R/$V-each-$rev.log")
    if [ "$t" = pass ]; then rm -f "$R/$V-each-$rev.log"; else mv "$R/$V-each-$rev.log" "$R/$V-each-fail-$rev.log"; fi
    git -C "$D" worktree remove --force "$W" 2>/dev/null || rm -rf "$W"
    printf '%s\t%s\t%s\n' "$rev" "$t" "$(git -C "$D" log -1 --format=%s "$rev")"
}
# verify_each D VARIANT -> tests every commit base..HEAD, $VERIFY_JOBS at a time, each in its own
# worktree; writes $R/VARIANT-each.tsv (in commit order) and prints "passed/commits"
verify_each() {
    local D=$1 V=$2 rev
    git -C "$D" worktree prune
    export -f verify_one tests; export P R TEST_CMD
    git -C "$D" rev-list --reverse "$(base)..HEAD" |
        xargs -r -P "$VERIFY_JOBS" -I{} bash -c 'verify_one "$1" "$2" "$3"' _ "$D" "$V" {} > "$R/$V-each.unsorted"
    : > "$R/$V-each.tsv"
    for rev in $(git -C "$D" rev-list --reverse "$(base)..HEAD"); do
        grep "^$rev" "$R/$V-each.unsorted" >> "$R/$V-each.tsv"
    done
    rm -f "$R/$V-each.unsorted"; git -C "$D" worktree prune
    echo "$(grep -c $'\tpass\t' "$R/$V-each.tsv" || true)/$(wc -l < "$R/$V-each.tsv")"
}

# stomper_variant VARIANT 'TOML' VERIFY_EACH
stomper_variant() {
    local V=$1$SUFFIX TOML=$2 EACH=$3
    local D=$P/exp-$V
    fresh "$D"; cd "$D"
    local cfg=()
    if [ -n "$TOML" ]; then printf '%s\n' "$TOML" > "$R/$V.toml"; cfg=(--config "$R/$V.toml"); fi
    local before after rc=0 t0 t1
    before=$(count "$D")
    "$STOMPER" check "${cfg[@]}" > "$R/$V-check.txt" 2>&1 || true
    "$STOMPER" check "${cfg[@]}" --json > "$R/$V-check.json" 2>"$R/$V-check-json.err" || true
    log "$V: stomper fix --parallel $PARALLEL ${cfg[*]}"
    t0=$(now)
    "$STOMPER" fix --parallel "$PARALLEL" "${cfg[@]}" > "$R/$V-fix.out" 2> "$R/$V-fix.err" || rc=$?
    t1=$(now)
    "$STOMPER" status "${cfg[@]}" --json > "$R/$V-status.json" 2>&1 || true
    "$STOMPER" runs "${cfg[@]}" --json > "$R/$V-runs.json" 2>&1 || true
    local run
    run=$(python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
runs=d if isinstance(d,list) else d.get("runs",d)
r=runs[0]
print(r.get("id") or r.get("run_id") or r.get("runId"))' "$R/$V-runs.json" 2>/dev/null || true)
    if [ -n "$run" ]; then
        "$STOMPER" show "${cfg[@]}" "$run" --json > "$R/$V-show.json" 2>&1 || true
        "$STOMPER" show "${cfg[@]}" "$run" > "$R/$V-show.txt" 2>&1 || true
    fi
    after=$(count "$D")
    codes "$D" "$R/$V-after"
    local commits files docs
    commits=$(git rev-list --count "$(base)..HEAD")
    files=$(git diff --name-only "$(base)" HEAD -- '*.py' '*.pyi' | wc -l)
    docs=$(git diff --name-only --diff-filter=A "$(base)" HEAD -- docs/stomper | wc -l)
    git log --format='%h %s' "$(base)..HEAD" > "$R/$V-log.txt"
    git diff --stat "$(base)" HEAD > "$R/$V-diffstat.txt"
    git status --porcelain > "$R/$V-git-status.txt"
    local t; t=$(tests "$D" "$R/$V-tests.log")
    local each=-
    [ "$EACH" = 1 ] && each=$(verify_each "$D" "$V")
    local wall; wall=$(elapsed "$t0" "$t1")
    log "$V: $before -> $after (fixed $((before - after))), $files .py files, $commits commits ($docs docs files), ${wall}s, exit $rc, tests $t, each commit $each"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$V" "$before" "$after" "$((before - after))" \
        "$files" "$commits" "$docs" "$wall" "$rc" "$t" "$each" >> "$R/summary.tsv"
}

TESTS_TOML=$(python3 -c 'import json,sys; print("[verify]\ntest_command = " + json.dumps(["bash", "-c", sys.argv[1]]))' "$TEST_CMD")
[ -s "$R/summary.tsv" ] || printf 'variant\tdiag_before\tdiag_after\tfixed\tpy_files_changed\tcommits\tdocs_files_added\twall_s\texit\ttests_final\ttests_each_commit\n' > "$R/summary.tsv"

for phase in $PHASES; do
    case $phase in
        prep) phase_prep ;;
        ruff) phase_ruff ;;
        default) stomper_variant default "" "${VERIFY_EACH:-0}" ;;
        tests) stomper_variant tests "$TESTS_TOML" 1 ;;
        partial) stomper_variant partial $'[fix]\nland_partial = true' "${VERIFY_EACH:-0}" ;;
        partialtests) stomper_variant partialtests $'[fix]\nland_partial = true\n'"$TESTS_TOML" 1 ;;
        finaltests) stomper_variant finaltests "$TESTS_TOML"$'\ntest_scope = "final"' 1 ;;
        *) echo "unknown phase $phase" >&2; exit 2 ;;
    esac
done
column -t -s $'\t' "$R/summary.tsv" >&2
