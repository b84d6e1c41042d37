import Foundation
import StomperProcess
import StomperTestSupport
import Testing

/// `fix.worktree`: the default run (autofix verified by ruff) works in sparse worktrees and lands
/// exactly what full worktrees land; fixers and linters that read the project get full ones.
@Suite(.tags(.e2e)) struct SparseWorktreeEndToEndTests {
    /// Import blocks whose sorted order depends on what is first-party: `pkg` and `shared` are
    /// packages of this project (under `src`), `helpers` a top-level module; `requests` is not.
    static var extra: [String: String] {
        var files: [String: String] = [
            "helpers.py": "VALUE = 1\n",
            "src/shared/__init__.py": "",
            "src/shared/tools.py": "def tool() -> int:\n    return 1\n",
            // Narrowing: the SIM114 fix makes a line too long, so the job asks again without it
            // (the worktree is reset between attempts) and lands the F401 fix alone.
            "narrow/ruff.toml": "line-length = 20\n\n[lint]\nselect = [\"E501\", \"SIM114\", \"F401\"]\n",
            "narrow/m.py": "import os\n\n\ndef f(a, b):\n    if a == 1:\n        return 1\n    elif b == 2:\n        return 1\n    return 0\n",
        ]
        for index in 0..<4 {
            files["src/pkg/mixed_\(index).py"] = """
                from shared.tools import tool
                import requests
                import helpers
                import os
                from pkg import fixable_0
                import sys


                def use_\(index)() -> object:
                    return tool, requests, helpers, fixable_0, sys

                """
        }
        return files
    }

    static func events(_ repo: PythonRepository) async throws -> [[String: Any]] {
        let tail = try await repo.stomper("tail")
        return tail.stdoutText.split(separator: "\n").compactMap { line in
            try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        }
    }

    static func pool(_ repo: PythonRepository) async throws -> [String: Any]? {
        try await events(repo).last { $0["type"] as? String == "worktree.pool" }?["data"] as? [String: Any]
    }

    @Test func autoGivesTheDefaultRunSparseWorktreesAndTheSameResultAsFullOnes() async throws {
        try await withTemporaryDirectory { dir in
            var results: [String: (tree: String, outcomes: [String: String], pool: [String: Any]?)] = [:]
            for mode in ["full", "auto"] {
                let repo = try await PythonRepository.create(at: dir + "/" + mode, fixable: 6, unfixable: 2, extra: Self.extra)
                let result = try await repo.stomper("fix", "--json", "--parallel", "3", environment: ["STOMPER_FIX_WORKTREE": mode])
                #expect(result.exitCode == 1, "\(result.stderrText)")
                let outcomes = try repo.outcomes(try repo.report(result)).mapValues { outcome in
                    "\(outcome["status"] ?? "") \((outcome["fixed"] as? [String: Int])?.sorted { $0.key < $1.key } ?? [])"
                }
                let tree = try await repo.fixture.git("rev-parse", "HEAD^{tree}")
                results[mode] = (tree, outcomes, try await Self.pool(repo))
                #expect(try await repo.status().isEmpty)
                #expect(try await repo.fixture.git("worktree", "list").split(separator: "\n").count == 1)
            }
            let full = try #require(results["full"])
            let sparse = try #require(results["auto"])
            #expect(full.pool?["mode"] as? String == "full")
            #expect((full.pool?["checked_out"] as? Int ?? 0) >= 1)
            #expect(sparse.pool?["mode"] as? String == "sparse")
            #expect(sparse.pool?["checked_out"] as? Int == 0)
            #expect((sparse.pool?["sparse"] as? Int ?? 0) >= 1)
            #expect(sparse.tree == full.tree)
            #expect(sparse.outcomes == full.outcomes)
            // The import blocks were sorted with `shared`, `pkg` and `helpers` as first-party.
            #expect(full.outcomes["src/pkg/mixed_0.py"]?.hasPrefix("fixed") == true, "\(full.outcomes)")
            #expect(full.outcomes["narrow/m.py"]?.hasPrefix("partially_fixed") == true, "\(full.outcomes)")
        }
    }

    /// An AI coding CLI reads the project: `auto` gives it full worktrees; `sparse` refuses the
    /// run before anything starts, naming the setting and what to set instead.
    @Test func anAgentThatReadsTheProjectGetsAFullWorktreeAndSparseIsRefused() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", unfixable: 1)
            let command = try MockAgent.command(script: ["files": ["*": MockAgent.fixUnfixable(0)]], in: dir)
            let before = try await repo.commitCount()
            let refused = try await repo.stomper(
                "fix", "--agent", "command", environment: ["STOMPER_AGENT_COMMAND": command, "STOMPER_FIX_WORKTREE": "sparse"])
            #expect(refused.exitCode == 2)
            #expect(refused.stderrText.contains("fix.worktree = \"sparse\""), "\(refused.stderrText)")
            #expect(refused.stderrText.contains("reads the project"))
            #expect(try await repo.commitCount() == before)
            let result = try await repo.stomper("fix", "--json", "--agent", "command", environment: ["STOMPER_AGENT_COMMAND": command])
            #expect(result.exitCode == 0, "\(result.stderrText)")
            #expect(try await Self.pool(repo)?["mode"] as? String == "full")
            #expect(try await repo.commitCount() == before + 1)
        }
    }
}
