#!/usr/bin/env bash
# Runs the tests of one size after `swift build --build-tests`:
#   unit  suites tagged .unit       e2e   suites tagged .e2e
#   slow  suites and tests tagged .slow   fast  everything but .slow
# Further arguments go to `swift test` (e.g. --parallel, --num-workers).
#
# `swift test` of Swift 6.3 cannot select Swift Testing tags (`--filter tag:NAME` comes with a
# later Swift Testing, ST-0025), so the tags are read from the sources here and the names of
# the suites and tests that carry them become a --filter or --skip regular expression.
set -euo pipefail
cd "$(dirname "$0")/.."

size="${1:?usage: scripts/test-size.sh unit|e2e|slow|fast [swift test options]}"
shift

# The names of the suites (kind = Suite) or tests (kind = Test) whose own .tags(...) holds tag.
names() {
    awk -v tag="$1" -v kind="$2" '
        $0 ~ "^[[:space:]]*@(Suite|Test)" {
            wanted = 0
            if ($0 ~ "^[[:space:]]*@" kind && match($0, /\.tags\([^)]*\)/)) {
                wanted = (substr($0, RSTART, RLENGTH) ~ "\\." tag "[,)]")
            }
        }
        wanted && match($0, /(struct|class|enum|func)[[:space:]]+[A-Za-z_][A-Za-z0-9_]*/) {
            split(substr($0, RSTART, RLENGTH), words, /[[:space:]]+/)
            print words[2]
            wanted = 0
        }
    ' Tests/*Tests/*.swift | sort -u | paste -sd'|' -
}

# Swift Testing identifies a test as Target.Suite/test(arguments:).
pattern() {
    local suites tests
    suites="$(names "$1" Suite)"
    tests="$(names "$1" Test)"
    local parts=()
    [ -n "$suites" ] && parts+=("\\.($suites)/")
    [ -n "$tests" ] && parts+=("/($tests)\\(")
    local IFS='|'
    echo "${parts[*]}"
}

case "$size" in
    unit | e2e) exec swift test --skip-build --filter "$(pattern "$size")" "$@" ;;
    slow) exec swift test --skip-build --filter "$(pattern slow)" "$@" ;;
    fast) exec swift test --skip-build --skip "$(pattern slow)" "$@" ;;
    *) echo "unknown size $size: use unit, e2e, slow or fast" >&2; exit 2 ;;
esac
