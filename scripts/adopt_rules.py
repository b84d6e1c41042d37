#!/usr/bin/env python3
"""Adopt the broad ruff rule set in a project's pyproject.toml (text edit, keeps everything else).

[tool.ruff]       : keeps line-length, target-version, src, excludes, per-file-target-version ...;
                    drops keys that change how `ruff check` behaves on the command line
                    (fix, unsafe-fixes, show-fixes, output-format, preview), which would make
                    a plain `ruff check` rewrite files or print a different format.
[tool.ruff.lint]  : select := the broad set; ignore / extend-select / extend-ignore /
                    fixable / unfixable / extend-fixable are removed. Sub-tables
                    (isort, per-file-ignores, ...) are kept as the project wrote them.
                    Dotted keys in [tool.ruff] (`lint.select = ...`, as in some projects) are handled
                    the same way: `lint.select` is set there, the other lint.* keys above are dropped.
A pyproject.toml that does not exist is created. The result is checked with tomllib.
Usage: adopt_rules.py path/to/pyproject.toml
       ADOPT_SELECT='["ALL"]' adopt_rules.py path/to/pyproject.toml   (another rule set)
"""
import json
import os
import re
import sys
import tomllib

SELECT = os.environ.get("ADOPT_SELECT", '["F","E","W","I","UP","B","C4","SIM","RUF","PIE"]')
DROP_RUFF = {"fix", "unsafe-fixes", "show-fixes", "output-format", "preview"}
DROP_LINT = {"select", "ignore", "extend-select", "extend-ignore", "fixable",
             "unfixable", "extend-fixable", "extend-safe-fixes", "extend-unsafe-fixes"}

path = sys.argv[1]
text = open(path, encoding="utf-8").read() if __import__("os").path.exists(path) else ""
lines = text.splitlines(keepends=True)

out, section, skipping = [], None, False
depth = 0
have_lint = False
for line in lines:
    header = re.match(r"^\s*\[\[?([^\]]+)\]\]?\s*(#.*)?$", line)
    if header and not skipping:
        section = header.group(1).strip()
        out.append(line)
        if section == "tool.ruff.lint":
            have_lint = True
            out.append(f"select = {SELECT}\n")
        continue
    if skipping:
        depth += line.count("[") - line.count("]")
        if depth <= 0:
            skipping = False
        continue
    key = re.match(r"^\s*([A-Za-z0-9_.-]+?)\s*=", line)
    dotted = section == "tool.ruff" and key and key.group(1).startswith("lint.")
    if dotted and not have_lint:
        have_lint = True
        out.append(f"lint.select = {SELECT}\n")
    drop = (section == "tool.ruff" and key and key.group(1) in DROP_RUFF) or \
           (section == "tool.ruff.lint" and key and key.group(1) in DROP_LINT) or \
           (dotted and key.group(1)[len("lint."):] in DROP_LINT)
    if drop:
        value = line.split("=", 1)[1]
        value = re.sub(r"#.*", "", value)
        depth = value.count("[") - value.count("]")
        skipping = depth > 0
        continue
    out.append(line)

result = "".join(out)
if not have_lint:
    if result and not result.endswith("\n"):
        result += "\n"
    result += f"\n[tool.ruff.lint]\nselect = {SELECT}\n"
cfg = tomllib.loads(result)  # must still be valid TOML
sel = cfg["tool"]["ruff"]["lint"]["select"]
assert sel == json.loads(SELECT), sel
for k in DROP_LINT - {"select"}:
    assert k not in cfg["tool"]["ruff"]["lint"], k
open(path, "w", encoding="utf-8").write(result)
print(f"adopted broad rules in {path}")
