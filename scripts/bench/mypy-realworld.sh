#!/bin/sh
# A 17-module project whose modules import heavy typed packages (numpy, pydantic, jinja2, click,
# attrs) and the standard library, each with one type error the mock agent deletes; mypy verifies,
# P = 4 (issue 19's "17-module project with real-world imports"; docs/PERFORMANCE.md).
# usage: scripts/bench/mypy-realworld.sh BUILD_DIR true|false   (linters.mypy.cache)
# Needs mypy, numpy, pydantic, jinja2, click and attrs importable by the python3 mypy runs with.
set -e
HERE=$(cd "$(dirname "$0")" && pwd); B=$(cd "$1" && pwd); CACHE=$2; W=${TMPDIR:-/tmp}/stomper-mypy-realworld; R=$W/project-$CACHE
mkdir -p $W && rm -rf $R && mkdir -p $R/app && cd $R
printf '[tool.mypy]\nignore_missing_imports = true\nwarn_unused_ignores = true\n' > pyproject.toml
: > app/__init__.py
i=0
while [ $i -lt 17 ]; do
  prev=$(( i > 0 ? i - 1 : 0 ))
  cat > app/m$i.py <<PY
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import attr
import click
import jinja2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

$( [ $i -gt 0 ] && echo "from app.m$prev import Record$prev" )

log = logging.getLogger(__name__)


class Settings$i(BaseModel):
    name: str
    size: int = $i


@attr.define
class Box$i:
    values: list[float]


@dataclass
class Record$i:
    path: Path
    weights: npt.NDArray[np.float64]


def render$i(template: str, settings: Settings$i) -> str:
    return jinja2.Template(template).render(name=settings.name)


def mean$i(box: Box$i) -> float:
    total: float = float(np.mean(np.asarray(box.values, dtype=np.float64)))
    wrong: int = "not a number"  # stomper-bench: type error
    return total


async def load$i(path: Path) -> dict[str, object]:
    await asyncio.sleep(0)
    data: dict[str, object] = json.loads(path.read_text())
    return data


@click.command()
@click.argument("name")
def main$i(name: str) -> None:
    log.info(render$i("{{ name }}", Settings$i(name=name)))
PY
  i=$((i + 1))
done
sh "$HERE/mypy-fix.sh" "$B" $CACHE $W
