#!/usr/bin/env bash
# The whole test suite: installs missing dependencies, then runs every test target.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# House style (.swift-format): any drift fails the suite before the build.
# `swift format format -i -r Sources Tests Package.swift Plugins` mends it.
swift format lint --strict -r Sources Tests Package.swift Plugins
swift build --build-tests
swift test --skip-build "$@"
