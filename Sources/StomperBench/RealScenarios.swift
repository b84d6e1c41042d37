import Foundation
import StomperCore

/// Projects that look like real ones, for the linters' own costs (issue 19's "real" scenarios).
enum RealProjects {
    /// A strict mypy package of `modules` modules `pkg/mNN.py`, each importing up to three earlier
    /// ones; every fifth (from 5) holds one type error on a line carrying the bench's marker,
    /// which the mock agent deletes. The same package as `scripts/bench/mypy-package.py`.
    static func mypyPackage(at root: String, modules: Int = 50) async throws -> SyntheticRepository {
        var files: [String: String] = ["pyproject.toml": "[tool.mypy]\nstrict = true\n", "pkg/__init__.py": ""]
        var broken: [String] = []
        for index in 0..<modules {
            let name = String(format: "%02d", index)
            let dependencies = Set([index - 1, index - 3, index / 2].filter { $0 >= 0 && $0 < index }).sorted()
            var lines = ["from __future__ import annotations", "", "from dataclasses import dataclass"]
            for dependency in dependencies {
                let other = String(format: "%02d", dependency)
                lines.append("from pkg.m\(other) import Item\(other), total\(other)")
            }
            lines += [
                "", "", "@dataclass", "class Item\(name):", "    name: str", "    size: int", "",
                "    def double(self) -> Item\(name):", "        return Item\(name)(self.name, self.size * 2)", "", "",
                "def total\(name)(items: list[Item\(name)]) -> int:", "    count = 0", "    for item in items:", "        count += item.size",
            ]
            if index > 0 && index % 5 == 0 {
                lines.append("        count += \"x\"  # \(SyntheticRepository.marker)")
                broken.append("pkg/m\(name).py")
            }
            lines += ["    return count", ""]
            for dependency in dependencies {
                let other = String(format: "%02d", dependency)
                lines += [
                    "", "def use\(other)_in\(name)(items: list[Item\(other)]) -> int:",
                    "    return total\(other)([item.double() for item in items]) + 1", "",
                ]
            }
            files["pkg/m\(name).py"] = lines.joined(separator: "\n")
        }
        return try await commit(files, at: root, fixable: broken)
    }

    /// `files` Python modules breaking ruff's broad rule set in several ways each — unused and
    /// unsorted imports, old typing aliases, an f-string without placeholders, `dict()`, a
    /// comparison to `None`, a mutable default, a nested `if` — with the broad set selected.
    static func broadRuffProject(at root: String, files count: Int = 200) async throws -> SyntheticRepository {
        var files: [String: String] = [
            "pyproject.toml": """
            [tool.ruff]
            target-version = "py311"

            [tool.ruff.lint]
            select = ["F", "E", "W", "I", "UP", "B", "C4", "SIM", "RUF", "PIE"]

            """,
            "pkg/__init__.py": "",
        ]
        var paths: [String] = []
        for index in 0..<count {
            let path = String(format: "pkg/mod_%03d.py", index)
            paths.append(path)
            files[path] = """
                import sys
                import os
                from typing import Dict, List, Optional


                def build_\(index)(names: List[str], extra: Optional[Dict[str, int]] = None) -> Dict[str, int]:
                    result = dict()
                    for name in names:
                        if name:
                            if len(name) > \(index % 5 + 1):
                                result[name] = len(name)
                    if extra == None:
                        return result
                    print(f"merging")
                    result.update(extra)
                    return result


                def collect_\(index)(items=[]):
                    return [x for x in items]

                """
        }
        return try await commit(files, at: root, fixable: paths)
    }

    /// Writes `files` at `root` (emptied first) and commits them on `main`.
    static func commit(_ files: [String: String], at root: String, fixable: [String]) async throws -> SyntheticRepository {
        try? FileManager.default.removeItem(atPath: root)
        for (path, text) in files {
            let full = root + "/" + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: full))
        }
        try await SyntheticRepository.git(["init", "-q", "-b", "main"], in: root)
        try await SyntheticRepository.git(["add", "-A"], in: root)
        try await SyntheticRepository.git(["-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-qm", "generated"], in: root)
        let initial = try await SyntheticRepository.git(["rev-parse", "HEAD"], in: root).trimmingCharacters(in: .whitespacesAndNewlines)
        return SyntheticRepository(root: root, files: files.count, initial: initial, fixablePaths: fixable)
    }
}

extension Scenarios {
    /// mypy verifying: the strict package (50 modules: 9 type errors) fixed by the mock agent at
    /// P = 4, with `linters.mypy.cache` on (the default) and off (a cold mypy per check).
    static func mypy(_ context: BenchContext, modules: Int) async throws {
        for cache in [true, false] {
            let repository = try await RealProjects.mypyPackage(at: context.workDirectory + "/mypy-package", modules: modules)
            let run = try await context.runPipeline(
                repository, paths: [], parallel: 4, latencyMilliseconds: 0, requireEveryFix: true,
                configure: { configuration in
                    configuration.linters = ["mypy"]
                    configuration.mypyCache = cache
                    configuration.sandbox = StomperConfiguration().sandbox
                })
            context.report.emit([
                "scenario": "mypy", "cache": cache, "modules": modules, "jobs": run.jobs, "parallel": 4,
                "plan_ms": Stats.ms(run.plan), "wall_ms": Stats.ms(run.wall),
                "per_fixed_file_ms": Stats.ms(run.wall / Double(max(1, run.summary.count(.fixed)))),
                "phase_mean_ms": run.phaseMeans.mapValues(Stats.ms),
            ])
        }
    }

    /// ruff's broad rule set on a generated project of 200 modules with several findings each:
    /// the default run (autofix, narrowing what a fix breaks, ruff verifying, sandbox, sparse
    /// worktrees) at P = 4. Not every finding has a fix, so files end fixed or partially fixed.
    static func broadRuff(_ context: BenchContext, files: Int) async throws {
        let repository = try await RealProjects.broadRuffProject(at: context.workDirectory + "/broad-ruff", files: files)
        let run = try await context.runPipeline(
            repository, paths: [], parallel: 4, latencyMilliseconds: 0, requireEveryFix: false,
            configure: { configuration in
                configuration.agent = .autofix
                configuration.sandbox = StomperConfiguration().sandbox
                configuration.gate = true
            })
        let landed = run.summary.count(.fixed) + run.summary.count(.partiallyFixed)
        context.report.emit([
            "scenario": "broad-ruff", "files": files, "jobs": run.jobs, "parallel": 4, "landed": landed,
            "diagnostics_fixed": run.summary.diagnosticsFixed,
            "plan_ms": Stats.ms(run.plan), "wall_ms": Stats.ms(run.wall),
            "per_file_ms": Stats.ms((run.plan + run.wall) / Double(max(1, run.jobs))),
            "phase_mean_ms": run.phaseMeans.mapValues(Stats.ms),
        ])
    }
}
