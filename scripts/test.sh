#!/usr/bin/env bash
# The whole test suite: installs missing dependencies, then runs every test target.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# House style (.swift-format): any drift fails the suite before the build.
# `swift format format -i -r Sources Tests Package.swift Plugins` mends it.
swift format lint --strict -r Sources Tests Package.swift Plugins
swift build --build-tests
# At most 8 tests at once: on 2 cores, running every test of the suite together made a test that
# started early wait for the whole suite between its steps, past its hang guard (`.timeLimit`).
swift test --skip-build --experimental-maximum-parallelization-width 8 "$@"
