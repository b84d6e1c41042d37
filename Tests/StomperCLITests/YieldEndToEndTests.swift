import Foundation
import StomperProcess
import StomperTestSupport
import Testing

/// Real-world yield (issue 13): what a run lands, what it narrows away, what it leaves for an
/// agent, and that `check` says so beforehand. Real ruff, the built binary, real git.
@Suite(.tags(.e2e), .timeLimit(.minutes(10))) struct YieldEndToEndTests {
    /// The broad rule set users adopt (the issue's), so W605 and RUF021 are selected.
    static let broadPyproject = """
        [tool.ruff]
        target-version = "py311"

        [tool.ruff.lint]
        select = ["F", "E", "W", "I", "UP", "B", "C4", "SIM", "RUF", "PIE"]

        """

    /// Line 3 is exactly 88 characters: W605's fix (a raw string, one character more) makes it
    /// E501. The fixes of RUF021, F401 and I001 are fine.
    static let lengthening = """
        import os
        import re
        PATTERN_WITH_A_LONG_NAME_FOR_TESTING_PURPOSES = re.compile("^\\d+-[a-z]+-value-here-xx$")


        def pick(a, b, c):
            return a and b or c

        """

    /// A fix of `lengthening` leaves out W605, then verifies: RUF021, F401 and I001 land, W605 remains at
    /// its line in the landed file, the commit says what remains, the dropped rule and why are
    /// recorded. With `fix.land_partial = false` the same file is all or nothing: nothing lands.
    @Test func narrowingLandsEveryFixButTheOneThatIntroducedE501() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(
                at: dir + "/repo",
                extra: [
                    "pyproject.toml": Self.broadPyproject, "src/pkg/lengthen.py": Self.lengthening,
                ])
            let result = try await repo.stomper("fix", "--json")
            #expect(result.exitCode == 1, "\(result.stderrText)")
            let outcome = try #require(try repo.outcomes(try repo.report(result))["src/pkg/lengthen.py"])
            #expect(outcome["status"] as? String == "partially_fixed", "\(outcome)")
            #expect(outcome["fixed"] as? [String: Int] == ["F401": 1, "I001": 1, "RUF021": 1])
            #expect(outcome["dropped_rules"] as? [String: String] == ["ruff:W605": "its fix introduced E501"])
            let landed = try repo.fixture.read("src/pkg/lengthen.py")
            #expect(landed.contains("return (a and b) or c"))
            #expect(landed.contains("re.compile(\"^\\d+"), "the W605 fix was left out")
            #expect(!landed.contains("import os"))
            // What remains is reported at the landed file's own line.
            let remaining = try #require(outcome["remaining"] as? [[String: Any]])
            let w605Line =
                try #require(
                    landed.split(separator: "\n", omittingEmptySubsequences: false)
                        .firstIndex { $0.contains("re.compile") }) + 1
            #expect(remaining.map { $0["code"] as? String } == ["W605"])
            #expect(remaining.map { $0["line"] as? Int } == [w605Line])
            let message = try await repo.fixture.git("log", "-1", "--format=%B")
            #expect(message.hasPrefix("fix(ruff): src/pkg/lengthen.py: fix 3 diagnostics (F401, I001, RUF021)\n\n1 diagnostic remains (W605).\n"))
            let ruff = try await ProcessRunner.run(
                ProcessSpec(
                    executable: "ruff",
                    arguments: [
                        "check", "--no-cache", "--output-format", "concise", "src/pkg/lengthen.py",
                    ], workingDirectory: repo.root, timeout: .seconds(60)))
            #expect(ruff.stdoutText.contains("src/pkg/lengthen.py:\(w605Line):"), "\(ruff.stdoutText)")
            #expect(!ruff.stdoutText.contains("E501") && !ruff.stdoutText.contains("RUF021") && !ruff.stdoutText.contains("F401"))
            #expect(try await repo.stomper("tail").stdoutText.contains("\"type\":\"narrow.dropped\""))
            #expect(try await repo.status().isEmpty)

            let strict = try await PythonRepository.create(
                at: dir + "/strict",
                extra: [
                    "pyproject.toml": Self.broadPyproject, "src/pkg/lengthen.py": Self.lengthening,
                ])
            let allOrNothing = try await strict.stomper("fix", "--json", environment: ["STOMPER_FIX_LAND_PARTIAL": "false"])
            let refused = try #require(try strict.outcomes(try strict.report(allOrNothing))["src/pkg/lengthen.py"])
            #expect(refused["status"] as? String == "failed")
            #expect(try await strict.commitCount() == 1)
        }
    }

    /// With a test command, a fix that breaks the tests never lands: of `both.py`'s two fixes the
    /// F401 one breaks them (the "tests" need `import os`), so only RUF021's lands; `only.py`'s
    /// one fix breaks them, so nothing of it lands and it is refused for that. Every commit on the
    /// branch passes the tests.
    @Test func aFixThatBreaksTheTestsNeverLands() async throws {
        try await withTemporaryDirectory { dir in
            let test = dir + "/needs-os.sh"
            try Data("#!/bin/sh\nfor f in src/pkg/both.py src/pkg/only.py; do grep -q '^import os' \"$f\" || exit 1; done\n".utf8)
                .write(to: URL(fileURLWithPath: test))
            let repo = try await PythonRepository.create(
                at: dir + "/repo",
                extra: [
                    "pyproject.toml": Self.broadPyproject,
                    "stomper.toml": "[verify]\ntest_command = [\"/bin/sh\", \"\(test)\"]\n",
                    "src/pkg/both.py": "import os\n\n\ndef pick(a, b, c):\n    return a and b or c\n",
                    "src/pkg/only.py": "import os\n\n\ndef one() -> int:\n    return 1\n",
                ])
            let result = try await repo.stomper("fix", "--json")
            #expect(result.exitCode == 1, "\(result.stderrText)")
            let outcomes = try repo.outcomes(try repo.report(result))
            let both = try #require(outcomes["src/pkg/both.py"])
            #expect(both["status"] as? String == "partially_fixed", "\(both)")
            #expect(both["fixed"] as? [String: Int] == ["RUF021": 1])
            #expect((both["dropped_rules"] as? [String: String])?.keys.sorted() == ["ruff:F401"])
            let only = try #require(outcomes["src/pkg/only.py"])
            #expect(only["status"] as? String == "failed")
            #expect(only["refusal"] as? String == "tests_failed", "\(only)")
            // The refused file's diagnostics are the user's, at its own lines.
            #expect((only["remaining"] as? [[String: Any]])?.map { $0["line"] as? Int } == [1])
            #expect(try repo.fixture.read("src/pkg/only.py") == "import os\n\n\ndef one() -> int:\n    return 1\n")
            let text = try await repo.stomper("fix")
            #expect(text.stdoutText.contains("2 refused (tests failed 2)"), "\(text.stdoutText)")
            #expect(text.stdoutText.contains("    src/pkg/only.py:1:8: F401 `os` imported but unused"))

            // Every commit stomper made passes the test command.
            let commits = try await repo.fixture.git("rev-list", "HEAD~1..HEAD").split(separator: "\n")
            #expect(commits.count == 1)
            for commit in commits {
                _ = try await repo.fixture.git("checkout", "-q", String(commit))
                let run = try await ProcessRunner.run(
                    ProcessSpec(
                        executable: "/bin/sh", arguments: [test], workingDirectory: repo.root,
                        timeout: .seconds(30)))
                #expect(run.exitCode == 0, "commit \(commit) fails the tests")
            }
            _ = try await repo.fixture.git("checkout", "-q", "main")
        }
    }

    /// `check`'s verdict per file equals what `fix` with the same settings does: every diagnostic
    /// fixable → fixed with nothing left; some → fixed, the rest needing an agent; none → needs an
    /// agent; dirty and untracked → skipped.
    @Test func checkPredictsWhatFixDoes() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(
                at: dir + "/repo",
                extra: [
                    "src/pkg/all.py": "import os\n\n\ndef f() -> int:\n    return 1\n",
                    "src/pkg/mixed.py": "import os\n\n\ndef g() -> int:\n    return missing\n",
                    "src/pkg/none.py": PythonSamples.unfixable(0),
                    "src/pkg/dirty.py": "import sys\n\n\ndef h() -> int:\n    return 2\n",
                ])
            try repo.fixture.write([
                "src/pkg/dirty.py": "import sys\n\n\ndef h() -> int:\n    return 3\n",
                "src/pkg/untracked.py": "import os\n",
            ])
            let check = try await repo.stomper("check", "--json")
            #expect(check.exitCode == 1, "\(check.stderrText)")
            let checked = try #require(try JSONSerialization.jsonObject(with: Data(check.standardOutput)) as? [String: Any])
            let verdicts = Dictionary(
                uniqueKeysWithValues: try #require(checked["files"] as? [[String: Any]]).map {
                    ($0["path"] as! String, $0["verdict"] as! String)
                })
            #expect(
                verdicts == [
                    "src/pkg/all.py": "fix", "src/pkg/mixed.py": "partial", "src/pkg/none.py": "needs_agent",
                    "src/pkg/dirty.py": "skipped", "src/pkg/untracked.py": "skipped",
                ])

            let fix = try await repo.stomper("fix", "--json")
            let outcomes = try repo.outcomes(try repo.report(fix))
            func verdict(_ outcome: [String: Any]) -> String {
                let needing = (outcome["needs_agent"] as? [Any])?.isEmpty == false
                switch outcome["status"] as? String {
                case "fixed"?, "partially_fixed"?: return needing ? "partial" : "fix"
                case let status?: return status
                case nil: return "?"
                }
            }
            #expect(outcomes.mapValues(verdict) == verdicts)
            #expect(try repo.fixture.read("src/pkg/dirty.py").hasSuffix("return 3\n"))
        }
    }

    /// A command agent that fixes the file and then exits non-zero has its verified fix landed;
    /// the exit status is recorded with the outcome.
    @Test func aNonZeroExitWithAVerifiedFixLands() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", unfixable: 1)
            let result = try await repo.stomper(
                "fix", "--json", "--agent", "command",
                environment: [
                    "STOMPER_AGENT_COMMAND": try MockAgent.command(
                        script: ["files": ["src/pkg/unfixable_0.py": MockAgent.fixUnfixable(0) + [["exit": 3]]]],
                        in: dir)
                ])
            #expect(result.exitCode == 0, "\(result.stderrText)")
            let outcome = try #require(try repo.outcomes(try repo.report(result))["src/pkg/unfixable_0.py"])
            #expect(outcome["status"] as? String == "fixed")
            #expect(outcome["agent_exit_status"] as? Int == 3)
            #expect(try await repo.commitCount() == 2)
            #expect(try await repo.ruffIsClean())
            #expect(try await repo.stomper("tail").stdoutText.contains("\"type\":\"agent.exit_ignored\""))
        }
    }

    /// An AI agent that fixes one of two diagnostics has that improvement landed by default, as
    /// "partially fixed", with what remains named in the commit.
    @Test func aVerifiedImprovementLandsByDefault() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", unfixable: 1)
            let result = try await repo.stomper(
                "fix", "--json", "--agent", "command",
                environment: [
                    "STOMPER_AGENT_COMMAND": try MockAgent.command(script: ["files": ["src/pkg/unfixable_0.py": MockAgent.fixE741Only(0)]], in: dir)
                ])
            #expect(result.exitCode == 1, "\(result.stderrText)")
            let outcome = try #require(try repo.outcomes(try repo.report(result))["src/pkg/unfixable_0.py"])
            #expect(outcome["status"] as? String == "partially_fixed")
            #expect(outcome["fixed"] as? [String: Int] == ["E741": 1])
            let message = try await repo.fixture.git("log", "-1", "--format=%B")
            #expect(message.hasPrefix("fix(ruff): src/pkg/unfixable_0.py: fix 1 diagnostic (E741)\n\n1 diagnostic remains (F821).\n"))
            let landed = try repo.fixture.read("src/pkg/unfixable_0.py")
            let line = try #require(landed.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("missing_name_0") }) + 1
            #expect((outcome["remaining"] as? [[String: Any]])?.map { $0["line"] as? Int } == [line])
        }
    }

    /// Killed before its landing, a file with a fixable and an unfixable diagnostic is resumed
    /// with its full baseline: the F821 that was there before is not taken for one the fix
    /// introduced, so the F401 fix lands and F821 is reported as needing an agent.
    @Test func resumeKeepsAMixedFilesBaseline() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(
                at: dir + "/repo",
                extra: [
                    "src/pkg/mixed.py": "import os\n\n\ndef g() -> int:\n    return missing\n"
                ])
            let killed = try await repo.stomper("fix", environment: ["STOMPER_FAILPOINT": "land.before:1"])
            #expect(killed.termination == .signaled(SIGKILL))
            let resumed = try await repo.stomper("resume", "--json")
            #expect(resumed.exitCode == 1, "\(resumed.stderrText)")
            let outcome = try #require(try repo.outcomes(try repo.report(resumed))["src/pkg/mixed.py"])
            #expect(outcome["status"] as? String == "fixed", "\(outcome)")
            #expect((outcome["needs_agent"] as? [[String: Any]])?.map { $0["code"] as? String } == ["F821"])
            let landed = try repo.fixture.read("src/pkg/mixed.py")
            #expect(!landed.contains("import os") && landed.contains("return missing"))
        }
    }

    /// A path `fix.allowed_paths` lets a fix touch is held to the gate too: an agent that fixes
    /// its file but deletes the allowed test file's tests (or adds a `# noqa` there) lands nothing.
    @Test func anAllowedTestFileCannotBeEmptiedOrSuppressed() async throws {
        try await withTemporaryDirectory { dir in
            let tests = "from pkg.unfixable_0 import scale_0\n\n\ndef test_one():\n    assert scale_0(1) == 1\n\n\ndef test_two():\n    assert True\n"
            let repo = try await PythonRepository.create(
                at: dir + "/repo", unfixable: 2,
                extra: [
                    "tests/test_scale.py": tests,
                    "stomper.toml": "[fix]\nallowed_paths = [\"tests/test_scale.py\"]\n",
                ])
            let script: [String: Any] = [
                "files": [
                    "src/pkg/unfixable_0.py": MockAgent.fixUnfixable(0)
                        + [["edit_other": ["path": "tests/test_scale.py", "content": String(tests.prefix(while: { $0 != "\n" })) + "\n"]]],
                    "src/pkg/unfixable_1.py": MockAgent.fixUnfixable(1)
                        + [["edit_other": ["path": "tests/test_scale.py", "content": tests + "x = undefined  # noqa: F821\n"]]],
                ]
            ]
            let result = try await repo.stomper(
                "fix", "--json", "--agent", "command",
                environment: [
                    "STOMPER_AGENT_COMMAND": try MockAgent.command(script: script, in: dir)
                ])
            #expect(result.exitCode == 1, "\(result.stderrText)")
            let outcomes = try repo.outcomes(try repo.report(result))
            for path in ["src/pkg/unfixable_0.py", "src/pkg/unfixable_1.py"] {
                let outcome = try #require(outcomes[path])
                #expect(outcome["status"] as? String == "failed", "\(path): \(outcome)")
                #expect(outcome["refusal"] as? String == "gate", "\(path): \((outcome["reason"] as? String) ?? "")")
            }
            let deletedReason = outcomes["src/pkg/unfixable_0.py"]?["reason"] as? String
            #expect(deletedReason?.contains("deleted tests") == true, "\(deletedReason ?? "")")
            #expect(try await repo.commitCount() == 1)
            #expect(try repo.fixture.read("tests/test_scale.py") == tests)
        }
    }

    /// Two rules whose fixes each break the tests: leaving out either alone does not help, so the
    /// rules are added back one at a time — both culprits stay out and the third rule's fix lands.
    @Test func twoCulpritsAreBothLeftOutAndTheRestLands() async throws {
        try await withTemporaryDirectory { dir in
            let test = dir + "/picky.sh"
            try Data("#!/bin/sh\ngrep -q '^import os' src/pkg/two.py && grep -q 'return a and b or c' src/pkg/two.py\n".utf8)
                .write(to: URL(fileURLWithPath: test))
            let repo = try await PythonRepository.create(
                at: dir + "/repo",
                extra: [
                    "pyproject.toml": Self.broadPyproject,
                    "stomper.toml": "[verify]\ntest_command = [\"/bin/sh\", \"\(test)\"]\n",
                    "src/pkg/two.py": "import os\n\n\ndef pick(a, b, c):\n    print(f\"pick\")\n    return a and b or c\n",
                ])
            let result = try await repo.stomper("fix", "--json")
            #expect(result.exitCode == 1, "\(result.stderrText)")
            let outcome = try #require(try repo.outcomes(try repo.report(result))["src/pkg/two.py"])
            #expect(outcome["status"] as? String == "partially_fixed", "\(outcome)")
            #expect(outcome["fixed"] as? [String: Int] == ["F541": 1])
            let dropped = outcome["dropped_rules"] as? [String: String] ?? [:]
            #expect(dropped.keys.sorted() == ["ruff:F401", "ruff:RUF021"], "\(dropped)")
            #expect(dropped.values.allSatisfy { $0.contains("adding the rules back one at a time") }, "\(dropped)")
            let landed = try repo.fixture.read("src/pkg/two.py")
            #expect(landed.contains("print(\"pick\")") && landed.contains("import os") && landed.contains("return a and b or c"))
            let run = try await ProcessRunner.run(
                ProcessSpec(
                    executable: "/bin/sh", arguments: [test], workingDirectory: repo.root,
                    timeout: .seconds(30)))
            #expect(run.exitCode == 0, "the landed commit fails the tests")
        }
    }
}
