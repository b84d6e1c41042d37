# usage: mypy-package.py ROOT — 50 modules pkg/m00..m49 importing earlier ones; m05, m10, … m45 hold a type error.
import os, sys
root = sys.argv[1]; n = 50; broken = {5,10,15,20,25,30,35,40,45}
os.makedirs(root + "/pkg", exist_ok=True)
open(root + "/pyproject.toml", "w").write('[tool.mypy]\nstrict = true\n')
open(root + "/pkg/__init__.py", "w").write("")
for i in range(n):
    deps = [j for j in (i - 1, i - 3, i // 2) if 0 <= j < i]
    deps = sorted(set(deps))
    lines = ["from __future__ import annotations", "", "from dataclasses import dataclass"]
    for j in deps: lines.append(f"from pkg.m{j:02d} import Item{j:02d}, total{j:02d}")
    lines += ["", "", "@dataclass", f"class Item{i:02d}:", "    name: str", "    size: int", "",
              "    def double(self) -> Item%02d:" % i, f"        return Item{i:02d}(self.name, self.size * 2)", "", "",
              f"def total{i:02d}(items: list[Item{i:02d}]) -> int:", "    count = 0", "    for item in items:",
              "        count += item.size"]
    if i in broken: lines.append('        count += "x"  # stomper-bench: type error')
    lines += ["    return count", ""]
    for j in deps:
        lines += ["", f"def use{j:02d}_in{i:02d}(items: list[Item{j:02d}]) -> int:",
                  f"    return total{j:02d}([item.double() for item in items]) + 1", ""]
    open(f"{root}/pkg/m{i:02d}.py", "w").write("\n".join(lines))
