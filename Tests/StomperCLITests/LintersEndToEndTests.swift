import Foundation
import StomperProcess
import StomperTestSupport
import Testing

/// The scripted mock agent built beside `stomper`, run through `agent.command`.
private enum LinterMockAgent {
    static var path: String {
        URL(fileURLWithPath: StomperBinary.path).deletingLastPathComponent().appendingPathComponent("stomper-mock-agent").path
    }

    /// Writes `script` (see Sources/StomperMockAgent/main.swift) to `dir` and returns the
    /// environment that makes it the command agent (`STOMPER_AGENT_COMMAND`).
    static func environment(script: [String: Any], in dir: String) throws -> [String: String?] {
        let scriptPath = dir + "/mock-script.json"
        try JSONSerialization.data(withJSONObject: script).write(to: URL(fileURLWithPath: scriptPath))
        let argv = [path, "--script", scriptPath, "{file}"]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: argv), as: UTF8.self)
        return ["STOMPER_AGENT_COMMAND": json]
    }

    /// A script whose one step, for every file matching `glob`, replaces `old` with `new`.
    static func replacing(_ old: String, with new: String, in glob: String = "*") -> [String: Any] {
        ["files": [glob: [["replace": ["old": old, "new": new]]]]]
    }
}

extension PythonRepository {
    /// Files touched by each commit after the initial one, oldest first.
    fileprivate func lintersFixCommits() async throws -> [[String]] {
        let root = try await fixture.git("rev-list", "--max-parents=0", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        var commits: [[String]] = []
        for sha in try await fixture.git("log", "--reverse", "--format=%H", "\(root)..HEAD").split(separator: "\n") {
            commits.append(try await fixture.git("show", "--name-only", "--format=", String(sha)).split(separator: "\n").map(String.init))
        }
        return commits
    }

    fileprivate func lintersRun(_ executable: String, _ arguments: [String]) async throws -> ProcessResult {
        try await ProcessRunner.run(
            ProcessSpec(
                executable: executable, arguments: arguments, workingDirectory: root,
                timeout: .seconds(120)))
    }
}

/// The pipeline with real linters beyond ruff check: ruff format, mypy, shellcheck, a SARIF tool.
@Suite(.tags(.e2e), .timeLimit(.minutes(10))) struct LintersEndToEndTests {
    /// ruff + ruff-format (enabled in a committed stomper.toml) on a lint-clean but unformatted
    /// file: autofix formats it in one commit and `ruff format --check` is clean afterwards.
    @Test func ruffFormatIsAppliedByAutofix() async throws {
        try await withTemporaryDirectory { dir in
            let unformatted = "def f(a,b):\n    return {\"x\":a,   \"y\":b}\n"
            let repo = try await PythonRepository.create(
                at: dir + "/repo",
                extra: [
                    "src/m.py": unformatted,
                    "stomper.toml": "[linters]\nenabled = [\"ruff\", \"ruff-format\"]\n",
                ])
            #expect(try await repo.ruffIsClean())
            let result = try await repo.stomper("fix", "--json")
            #expect(result.exitCode == 0, "\(result.stderrText)")
            let outcome = try #require(try repo.outcomes(try repo.report(result))["src/m.py"])
            #expect(outcome["status"] as? String == "fixed")
            #expect(try await repo.lintersFixCommits() == [["src/m.py"]])
            #expect(try repo.fixture.read("src/m.py") == "def f(a, b):\n    return {\"x\": a, \"y\": b}\n")
            let check = try await repo.lintersRun("ruff", ["format", "--check", "--no-cache", "src/m.py"])
            #expect(check.exitCode == 0, "\(check.stdoutText)")
            #expect(try await repo.status().isEmpty)
        }
    }

    /// A real mypy error (`assignment`), mypy the only linter, chain autofix → mock agent: autofix
    /// has nothing for mypy, the mock agent replaces the bad line, the fix is verified by mypy and
    /// committed; the report names the code. Learning then lists mypy/assignment for the mock
    /// agent with one success (and nothing for autofix, which does not take on what it cannot fix).
    @Test func aMypyErrorIsFixedByTheMockAgentAndLearnt() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(
                at: dir + "/repo",
                extra: [
                    "src/typed.py": "x: int = \"a\"\n\n\ndef f() -> int:\n    return x\n"
                ])
            let plan = try await repo.stomper("check", "--json", environment: ["STOMPER_LINTERS_ENABLED": "[\"mypy\"]"])
            let planned = try #require(try JSONSerialization.jsonObject(with: Data(plan.standardOutput)) as? [String: Any])
            // Autofix has nothing for mypy: `check` says the file needs an agent.
            let files = try #require(planned["files"] as? [[String: Any]], "\(plan.stdoutText) \(plan.stderrText)")
            #expect(files.map { $0["verdict"] as? String } == ["needs_agent"])
            #expect(files.first?["needs_agent"] as? [String: Int] == ["assignment": 1])

            var environment = try LinterMockAgent.environment(script: LinterMockAgent.replacing("x: int = \"a\"", with: "x: int = 1"), in: dir)
            environment["STOMPER_LINTERS_ENABLED"] = "[\"mypy\"]"
            let result = try await repo.stomper("fix", "--chain", "autofix,command", "--json", environment: environment)
            #expect(result.exitCode == 0, "\(result.stderrText)")
            let report = try repo.report(result)
            #expect((report["tool_versions"] as? [String: String])?["mypy"]?.hasPrefix("mypy ") == true)
            let outcome = try #require(try repo.outcomes(report)["src/typed.py"])
            #expect(outcome["status"] as? String == "fixed", "\(outcome["reason"] ?? "")")
            #expect(outcome["fixed"] as? [String: Int] == ["assignment": 1])
            #expect(try await repo.lintersFixCommits() == [["src/typed.py"]])
            #expect(try repo.fixture.read("src/typed.py") == "x: int = 1\n\n\ndef f() -> int:\n    return x\n")
            let mypy = try await repo.lintersRun("mypy", ["--cache-dir=/dev/null", "src/typed.py"])
            #expect(mypy.exitCode == 0, "\(mypy.stdoutText)")

            let stats = try await repo.stomper("stats", "--learning", "--json")
            #expect(stats.exitCode == 0, "\(stats.stderrText)")
            let learnt = try #require(try JSONSerialization.jsonObject(with: Data(stats.standardOutput)) as? [String: Any])
            let figures = try #require(learnt["codes"] as? [[String: Any]], "\(stats.stdoutText)")
            let mock = figures.first {
                $0["linter"] as? String == "mypy" && $0["code"] as? String == "assignment"
                    && $0["agent"] as? String == "command:stomper-mock-agent"
            }
            #expect(mock?["successes"] as? Int == 1, "\(stats.stdoutText)")
            #expect(mock?["attempts"] as? Int == 1)
            // Autofix was not run on what it cannot fix.
            let autofix = figures.first { $0["code"] as? String == "assignment" && $0["agent"] as? String == "autofix" }
            #expect(autofix == nil, "\(stats.stdoutText)")
        }
    }

    /// mypy enabled but not runnable: exit 2 before anything runs, naming the install command.
    @Test func aMypyThatCannotRunIsExitTwoNamingTheInstallCommand() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", extra: ["src/typed.py": "x: int = \"a\"\n"])
            let result = try await repo.stomper(
                "fix",
                environment: [
                    "STOMPER_LINTERS_ENABLED": "[\"mypy\"]", "STOMPER_LINTERS_MYPY_EXECUTABLE": "/nonexistent/bin/mypy",
                ])
            #expect(result.exitCode == 2)
            #expect(result.stderrText.contains("pip install mypy"), "\(result.stderrText)")
            #expect(result.stderrText.contains("/nonexistent/bin/mypy"))
            #expect(try await repo.commitCount() == 1)
        }
    }

    /// shellcheck only: SC2086 (`echo $1`) in a .sh file, the mock agent quotes it, shellcheck
    /// verifies it, one commit; the Python file beside it (ruff errors, ruff not enabled) is untouched.
    @Test func aShellcheckFindingIsFixedByTheMockAgent() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(
                at: dir + "/repo", fixable: 1,
                extra: [
                    "scripts/run.sh": "#!/bin/sh\necho $1\n"
                ])
            var environment = try LinterMockAgent.environment(script: LinterMockAgent.replacing("echo $1", with: "echo \"$1\"", in: "*.sh"), in: dir)
            environment["STOMPER_LINTERS_ENABLED"] = "[\"shellcheck\"]"
            let result = try await repo.stomper("fix", "--agent", "command", "--json", environment: environment)
            #expect(result.exitCode == 0, "\(result.stderrText)")
            let outcomes = try repo.outcomes(try repo.report(result))
            #expect(Set(outcomes.keys) == ["scripts/run.sh"])
            #expect(outcomes["scripts/run.sh"]?["fixed"] as? [String: Int] == ["SC2086": 1])
            #expect(try await repo.lintersFixCommits() == [["scripts/run.sh"]])
            #expect(try repo.fixture.read("scripts/run.sh") == "#!/bin/sh\necho \"$1\"\n")
            let check = try await repo.lintersRun("shellcheck", ["scripts/run.sh"])
            #expect(check.exitCode == 0, "\(check.stdoutText)")
            #expect(try repo.fixture.read("src/pkg/fixable_0.py") == PythonSamples.fixable(0))
        }
    }

    /// shellcheck enabled in a committed stomper.toml, the default autofix agent: shellcheck's own
    /// diff fixes SC2086 and SC2164 in an executable script, applied by stomper (no git CLI),
    /// verified and committed on main with the file's mode kept.
    @Test func shellchecksOwnFixIsAppliedByAutofix() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(
                at: dir + "/repo",
                extra: [
                    "scripts/run.sh": "#!/bin/sh\necho $1\ncd /tmp\n",
                    "stomper.toml": "[linters]\nenabled = [\"shellcheck\"]\n",
                ])
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: repo.root + "/scripts/run.sh")
            try await repo.fixture.commitAll("executable")
            let before = try await repo.fixture.head()
            let result = try await repo.stomper("fix", "--json")
            #expect(result.exitCode == 0, "\(result.stderrText)")
            let report = try repo.report(result)
            #expect(report["agent"] as? String == "autofix")
            let outcome = try #require(try repo.outcomes(report)["scripts/run.sh"])
            #expect(outcome["status"] as? String == "fixed", "\(outcome["reason"] ?? "")")
            #expect(outcome["fixed"] as? [String: Int] == ["SC2086": 1, "SC2164": 1])
            #expect(try await repo.fixture.git("rev-list", "--count", "\(before)..main") == "1\n")
            #expect(try await repo.fixture.git("show", "main:scripts/run.sh") == "#!/bin/sh\necho \"$1\"\ncd /tmp || exit\n")
            #expect(try await repo.fixture.git("show", "--name-only", "--format=", "main") == "scripts/run.sh\n")
            #expect(try await repo.fixture.git("ls-tree", "main", "scripts/run.sh").hasPrefix("100755 "))
            let check = try await repo.lintersRun("shellcheck", ["scripts/run.sh"])
            #expect(check.exitCode == 0, "\(check.stdoutText)")
            #expect(try await repo.status().isEmpty)
        }
    }

    /// A `[[quality.sarif]]` tool (ruff's SARIF output) as the only linter, declared in a
    /// committed stomper.toml: its F401 is fixed by the mock agent, verified by the same tool.
    @Test func aSarifToolFromStomperTomlDrivesAFix() async throws {
        try await withTemporaryDirectory { dir in
            let toml = """
                [linters]
                enabled = []

                [[quality.sarif]]
                name = "ruff-sarif"
                command = ["ruff", "check", "--output-format", "sarif"]
                version_command = ["ruff", "--version"]

                """
            let repo = try await PythonRepository.create(
                at: dir + "/repo",
                extra: [
                    "stomper.toml": toml,
                    "src/m.py": "import os\n\n\ndef f() -> int:\n    return 1\n",
                ])
            let environment = try LinterMockAgent.environment(script: ["files": ["*.py": [["delete_lines_containing": "import os"]]]], in: dir)
            let result = try await repo.stomper("fix", "--agent", "command", "--json", environment: environment)
            #expect(result.exitCode == 0, "\(result.stderrText)")
            let report = try repo.report(result)
            #expect((report["tool_versions"] as? [String: String]).map { Array($0.keys) } == ["ruff-sarif"])
            let outcome = try #require(try repo.outcomes(report)["src/m.py"])
            #expect(outcome["status"] as? String == "fixed", "\(outcome["reason"] ?? "")")
            #expect(outcome["fixed"] as? [String: Int] == ["F401": 1])
            #expect(try await repo.lintersFixCommits() == [["src/m.py"]])
            #expect(try repo.fixture.read("src/m.py") == "\n\ndef f() -> int:\n    return 1\n")
            #expect(try await repo.ruffIsClean())
            #expect(try await repo.status().isEmpty)
        }
    }

    /// The `--json` report names the agent that ran: with a chain, the chain (as the text output
    /// and the ledger do), not `fix.agent`, which the chain overrides.
    @Test func theJSONReportNamesTheAgentChain() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", extra: ["scripts/run.sh": "#!/bin/sh\necho $1\n"])
            var environment = try LinterMockAgent.environment(script: LinterMockAgent.replacing("echo $1", with: "echo \"$1\""), in: dir)
            environment["STOMPER_LINTERS_ENABLED"] = "[\"shellcheck\"]"
            let result = try await repo.stomper("fix", "--chain", "autofix,command", "--json", environment: environment)
            #expect(result.exitCode == 0, "\(result.stderrText)")
            let agent = try repo.report(result)["agent"] as? String ?? ""
            #expect(agent.contains("command:stomper-mock-agent"), "report agent: \(agent)")
            #expect(try await repo.lintersFixCommits() == [["scripts/run.sh"]])
        }
    }
}
