import Foundation
import StomperProcess
import StomperTestSupport
import Testing

/// `verify.test_scope = "final"`: the suite runs once after the run, on real git and ruff, and the
/// fixes that broke it are found by bisection and reverted.
@Suite(.tags(.e2e)) struct FinalTestsEndToEndTests {
    /// Six modules each lose an unused `import os` to ruff's autofix; the suite uses `c.os`, so
    /// only `c.py`'s fix breaks it. The run lands all six, the final suite fails, bisection names
    /// `c.py`'s commit and a revert commit restores it; the suite passes at the end.
    static let modules = ["a", "b", "c", "d", "e", "f"]

    static func repository(at root: String, suite: String) async throws -> PythonRepository {
        var files: [String: String] = [
            "pyproject.toml": "[tool.ruff.lint]\nselect = [\"F401\"]\n",
            "stomper.toml": "[verify]\ntest_command = [\"python3\", \"tests/run.py\", \"{file}\"]\ntest_scope = \"final\"\n",
            "src/pkg/__init__.py": "",
            "tests/run.py": "import sys\n\nsys.path.insert(0, \"src\")\n" + suite,
        ]
        for name in modules { files["src/pkg/\(name).py"] = "import os\n\n\ndef \(name)() -> str:\n    return \"\(name)\"\n" }
        return try await PythonRepository.create(at: root, extra: files)
    }

    @Test func theFixThatBrokeTheSuiteIsFoundAndRevertedAndTheOthersStay() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await Self.repository(
                at: dir + "/repo", suite: "from pkg import a, c\n\nassert a.a() == \"a\"\nassert c.os.sep == \"/\"\n")
            let before = try await repo.fixture.git("rev-parse", "HEAD")
            let result = try await repo.stomper("fix", "--json")
            #expect(result.exitCode == 1, "\(result.stderrText)")
            let report = try repo.report(result)
            #expect(try await SchemaValidator.validate([try repo.json(result)], against: "fix-report.schema.json") == nil)
            #expect(try JSONStyleCheck.problems(result.stdoutText, command: "fix") == [])
            let tests = try #require(report["final_tests"] as? [String: Any], "\(report.keys)")
            #expect(tests["verdict"] as? String == "reverted")
            let culprits = try #require(tests["culprits"] as? [[String: Any]])
            #expect(culprits.map { $0["path"] as? String } == ["src/pkg/c.py"])
            let revert = try #require(culprits.first?["revert"] as? String)
            // The summary counts what stayed: c.py's fix is refused (tests failed), not fixed.
            let summary = try #require(report["summary"] as? [String: Any])
            #expect(summary["fixed"] as? Int == Self.modules.count - 1, "\(summary)")
            #expect(summary["failed"] as? Int == 1)
            let outcomes = try repo.outcomes(report)
            #expect(outcomes["src/pkg/c.py"]?["status"] as? String == "failed")
            #expect(outcomes["src/pkg/c.py"]?["refusal"] as? String == "tests_failed")
            // The tip, before the run, then at most ⌈log2 6⌉ + 2 more.
            let runs = try #require(tests["suite_runs"] as? Int)
            #expect(runs >= 3 && runs <= 7, "\(runs)")
            // Every fix landed; the revert is the last commit, and only c.py keeps its import.
            let log = try await repo.fixture.git("log", "--format=%H %s", "\(before.trimmingCharacters(in: .whitespacesAndNewlines))..HEAD")
            let lines = log.split(separator: "\n")
            #expect(lines.count == Self.modules.count + 1, "\(log)")
            #expect(lines.first?.hasPrefix(revert) == true)
            #expect(lines.first?.contains("stomper: revert the fix of src/pkg/c.py") == true)
            for name in Self.modules {
                let text = try repo.fixture.read("src/pkg/\(name).py")
                #expect(text.contains("import os") == (name == "c"), "\(name): \(text)")
            }
            let message = try await repo.fixture.git("log", "-1", "--format=%B")
            #expect(message.contains("Stomper-Reverts: "))
            // The suite passes on what the run left, and the working tree is clean.
            let suite = try await ProcessRunner.run(
                ProcessSpec(executable: "python3", arguments: ["tests/run.py"], workingDirectory: repo.root, timeout: .seconds(60)))
            #expect(suite.exitCode == 0, "\(suite.stderrText)")
            #expect(try await repo.fixture.git("status", "--porcelain").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        }
    }

    /// A suite that fails before the run too is not the run's doing: nothing is reverted, every
    /// fix stays, and the run says so (exit 1: the branch's suite fails).
    @Test func aSuiteThatFailedBeforeTheRunRevertsNothing() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await Self.repository(at: dir + "/repo", suite: "raise SystemExit(\"red before stomper\")\n")
            let result = try await repo.stomper("fix")
            #expect(result.exitCode == 1, "\(result.stderrText)")
            #expect(result.stdoutText.contains("final tests fail before the run's fixes too: nothing reverted (2 suite runs"), "\(result.stdoutText)")
            for name in Self.modules { #expect(try !repo.fixture.read("src/pkg/\(name).py").contains("import os")) }
            #expect(try await !repo.fixture.git("log", "--format=%s").contains("revert"))
        }
    }

    /// A suite the fixes keep green runs once, and the run exits 0.
    @Test func aPassingSuiteRunsOnce() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await Self.repository(at: dir + "/repo", suite: "from pkg import a\n\nassert a.a() == \"a\"\n")
            let result = try await repo.stomper("fix")
            #expect(result.exitCode == 0, "\(result.stdoutText) \(result.stderrText)")
            #expect(result.stdoutText.contains("stomper: final tests passed at the tip (1 suite run,"), "\(result.stdoutText)")
        }
    }
    /// A run stopped by its agent-call budget tests and reverts what it landed; `stomper resume`
    /// lands the rest and tests again from the run's own base, without reverting the culprit twice.
    @Test func aResumedRunTestsFromTheRunsBaseAndRevertsACulpritOnce() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await Self.repository(
                at: dir + "/repo", suite: "from pkg import c\n\nassert c.os.sep == \"/\"\n")
            let first = try await repo.stomper("fix", "--json", "--parallel", "1", "--max-agent-calls", "3")
            #expect(first.exitCode == 1, "\(first.stderrText)")
            let report = try repo.report(first)
            let tests = try #require(report["final_tests"] as? [String: Any], "\(report.keys)")
            #expect((tests["culprits"] as? [[String: Any]])?.map { $0["path"] as? String } == ["src/pkg/c.py"])
            let deferred = try #require((report["summary"] as? [String: Any])?["deferred"] as? [String])
            #expect(deferred.count == 3, "\(deferred)")
            let resumed = try await repo.stomper("resume", "--json")
            #expect(resumed.exitCode == 0, "\(resumed.stderrText)")
            let again = try #require(try repo.report(resumed)["final_tests"] as? [String: Any])
            #expect(again["verdict"] as? String == "passed" && (again["culprits"] as? [Any])?.isEmpty == true, "\(again)")
            let subjects = try await repo.fixture.git("log", "--format=%s")
            #expect(subjects.components(separatedBy: "stomper: revert").count == 2, "\(subjects)")
            for name in Self.modules {
                #expect(try repo.fixture.read("src/pkg/\(name).py").contains("import os") == (name == "c"), "\(name)")
            }
        }
    }
    /// A culprit whose file the user is editing is not reverted over the edit: it is named with
    /// the reason and the way to revert it, the edit stays, and the run says the suite still
    /// fails. (The uncontained suite writes the edit into the main checkout, as a busy user would.)
    @Test func aCulpritTheUserIsEditingIsNamedAndTheirEditStays() async throws {
        try await withTemporaryDirectory { dir in
            let root = dir + "/repo"
            let edit = "import os  # mine\n\n\ndef c() -> str:\n    return \"mine\"\n"
            let repo = try await Self.repository(
                at: root,
                suite: """
                    import pathlib

                    pathlib.Path(\(String(reflecting: root + "/src/pkg/c.py"))).write_text(\(String(reflecting: edit)))
                    from pkg import c

                    assert c.os.sep == "/"

                    """)
            try repo.fixture.write([
                "stomper.toml": "[agent]\nsandbox = \"none\"\n\n[verify]\ntest_command = [\"python3\", \"tests/run.py\"]\ntest_scope = \"final\"\n"
            ])
            _ = try await repo.fixture.git("commit", "-qam", "uncontained tests")
            let result = try await repo.stomper("fix", "--json")
            #expect(result.exitCode == 1, "\(result.stderrText)")
            let tests = try #require(try repo.report(result)["final_tests"] as? [String: Any])
            #expect(tests["verdict"] as? String == "still_failing", "\(tests)")
            let culprit = try #require((tests["culprits"] as? [[String: Any]])?.first)
            #expect(culprit["path"] as? String == "src/pkg/c.py" && culprit["revert"] == nil)
            let reason = try #require(culprit["reason"] as? String)
            #expect(reason.contains("uncommitted changes") && reason.contains("git revert"), "\(reason)")
            #expect(try repo.fixture.read("src/pkg/c.py") == edit)
            #expect(try await !repo.fixture.git("log", "--format=%s").contains("stomper: revert"))
        }
    }
}
