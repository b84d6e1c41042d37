import Foundation
import StomperProcess
import StomperTestSupport
import Testing

/// Runs the built `stomper` binary on real git repositories with real ruff.
@Suite(.tags(.e2e), .timeLimit(.minutes(10))) struct FixEndToEndTests {
    /// 30 autofixable files at --parallel 4: 30 commits, each touching exactly its file with both
    /// trailers; ruff clean; no worktree left; fsck clean; the same tree as --parallel 1.
    /// `--keep-worktrees` leaves the pool's worktrees for the next run, which takes them over
    /// (no new worktree) and still lands exactly its own fixes on a clean checkout;
    /// `--no-keep-worktrees` removes them again.
    @Test func keptWorktreesServeTheNextRun() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 6)
            // Sparse worktrees (autofix's default) are never kept: this is about full ones.
            let full: [String: String?] = ["STOMPER_FIX_WORKTREE": "full"]
            let first = try await repo.stomper("fix", "--parallel", "2", "--keep-worktrees", "--json", environment: full)
            #expect(first.exitCode == 0, "\(first.stderrText)")
            #expect(try await repo.commitCount() == 7)
            let kept = try await repo.fixture.git("worktree", "list", "--porcelain")
                .split(separator: "\n").filter { $0.hasPrefix("worktree ") && $0.contains("/.git/stomper/worktrees/") }
            #expect(!kept.isEmpty)

            try repo.fixture.write(["src/pkg/later.py": PythonSamples.fixable(40)])
            try await repo.fixture.commitAll("a later file")
            let second = try await repo.stomper("fix", "--parallel", "2", "--keep-worktrees", "--json", environment: full)
            #expect(second.exitCode == 0, "\(second.stderrText)")
            #expect(try repo.outcomes(try repo.report(second)).keys.sorted() == ["src/pkg/later.py"])
            let files = try await repo.fixture.git("show", "--name-only", "--format=", "HEAD")
            #expect(files == "src/pkg/later.py\n")
            let after = try await repo.fixture.git("worktree", "list", "--porcelain")
                .split(separator: "\n").filter { $0.hasPrefix("worktree ") && $0.contains("/.git/stomper/worktrees/") }
            #expect(after == kept)
            #expect(try await repo.status().isEmpty)
            #expect(try await repo.ruffIsClean())

            let cleanup = try await repo.stomper("fix", "--no-keep-worktrees", environment: full)
            #expect(cleanup.exitCode == 0, "\(cleanup.stderrText)")
            #expect(try await repo.worktreeCount() == 1)
        }
    }

    @Test func thirtyFilesInParallelGiveThirtyVerifiedCommits() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/p4", fixable: 30)
            let serial = try await PythonRepository.create(at: dir + "/p1", fixable: 30)
            let result = try await repo.stomper("fix", "--parallel", "4", "--json")
            #expect(result.exitCode == 0, "\(result.stderrText)")
            let report = try repo.report(result)
            let outcomes = try repo.outcomes(report)
            #expect(outcomes.count == 30)
            #expect(outcomes.values.allSatisfy { $0["status"] as? String == "fixed" })
            #expect(try await repo.commitCount() == 31)

            let runID = try #require(report["run_id"] as? String)
            let log = try await repo.fixture.git("log", "-30", "--format=%H")
            var touched: [String] = []
            var keys = Set<String>()
            for sha in log.split(separator: "\n") {
                let files = try await repo.fixture.git("show", "--name-only", "--format=", String(sha))
                    .split(separator: "\n").map(String.init)
                #expect(files.count == 1)
                touched += files
                let message = try await repo.fixture.git("log", "-1", "--format=%B", String(sha))
                // UP035 is not autofixable, but goes with the `typing` import: the commit counts it.
                #expect(message.hasPrefix("fix(ruff): \(files[0]): fix 6 diagnostics (F401, F541, I001, UP006, UP035)\n\nStomper-Run:"))
                let trailers = try await repo.fixture.git("log", "-1", "--format=%(trailers:only,unfold)", String(sha))
                #expect(trailers.contains("Stomper-Run: \(runID)"))
                let key = try #require(trailers.split(separator: "\n").first { $0.hasPrefix("Stomper-Key: ik:") })
                keys.insert(String(key))
            }
            #expect(keys.count == 30)
            #expect(Set(touched) == Set((0..<30).map { "src/pkg/fixable_\($0).py" }))
            #expect(try await repo.ruffIsClean())
            #expect(try await repo.worktreeCount() == 1)
            #expect(try await repo.status().isEmpty)
            let fsck = try await ProcessRunner.run(
                ProcessSpec(
                    executable: "git", arguments: ["fsck", "--strict", "--no-progress"],
                    workingDirectory: repo.root, timeout: .seconds(60)))
            #expect(fsck.exitCode == 0 && fsck.stderrText.isEmpty && fsck.stdoutText.isEmpty)
            #expect(try repo.fixture.read("src/pkg/fixable_7.py") == PythonSamples.fixed(7))

            let serialResult = try await serial.stomper("fix", "--parallel", "1")
            #expect(serialResult.exitCode == 0, "\(serialResult.stderrText)")
            let tree4 = try await repo.fixture.git("rev-parse", "HEAD^{tree}")
            let tree1 = try await serial.fixture.git("rev-parse", "HEAD^{tree}")
            #expect(tree4 == tree1)
        }
    }

    @Test func aDirtyFileKeepsItsContentAndIsReportedSkipped() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 3)
            let mine = PythonSamples.fixable(1) + "# my unfinished work\n"
            try repo.fixture.write(["src/pkg/fixable_1.py": mine])
            let result = try await repo.stomper("fix", "-p", "2", "--json")
            #expect(result.exitCode == 1)
            let outcomes = try repo.outcomes(try repo.report(result))
            #expect(outcomes["src/pkg/fixable_1.py"]?["status"] as? String == "skipped")
            #expect(outcomes["src/pkg/fixable_1.py"]?["reason"] as? String == "uncommitted changes")
            #expect(outcomes["src/pkg/fixable_0.py"]?["status"] as? String == "fixed")
            #expect(try repo.fixture.read("src/pkg/fixable_1.py") == mine)
            #expect(try await repo.status() == " M src/pkg/fixable_1.py\n")
            #expect(try await repo.commitCount() == 3)
        }
    }

    /// A file whose diagnostics autofix cannot fix is not a failure of the run: it needs an agent,
    /// is not attempted, and its diagnostics are reported at the file's own lines.
    @Test func aFileWithOnlyUnfixableErrorsNeedsAnAgentAndNothingIsCommitted() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 1, unfixable: 1)
            let result = try await repo.stomper("fix", "--json")
            #expect(result.exitCode == 1)
            let report = try repo.report(result)
            let outcome = try #require(try repo.outcomes(report)["src/pkg/unfixable_0.py"])
            #expect(outcome["status"] as? String == "needs_agent")
            #expect(outcome["attempts"] as? Int == 0)
            let needing = try #require(outcome["needs_agent"] as? [[String: Any]])
            #expect(needing.compactMap { $0["code"] as? String } == ["E741", "F821"])
            #expect(needing.compactMap { $0["line"] as? Int } == [2, 3])
            let summary = try #require(report["summary"] as? [String: Any])
            #expect(summary["needs_agent"] as? Int == 1)
            #expect(summary["failed"] as? Int == 0)
            #expect(summary["diagnostics_needing_agent"] as? Int == 2)
            let landed = try await repo.fixture.git("log", "--format=", "--name-only", "HEAD~1..HEAD")
            #expect(landed == "src/pkg/fixable_0.py\n")
            #expect(try await repo.commitCount() == 2)
            #expect(try repo.fixture.read("src/pkg/unfixable_0.py") == PythonSamples.unfixable(0))
            let text = try await repo.stomper("fix")
            #expect(
                text.stdoutText.contains(
                    "stomper: 1 file: 0 fixed, 1 needs an agent; 0 diagnostics fixed; "
                        + "2 diagnostics in 1 file need an AI agent"), "\(text.stdoutText)")
        }
    }

    /// Started in a linked worktree on branch `feature`, stomper fixes `feature` and writes into
    /// that worktree; `main` and the main working tree are untouched.
    @Test func aRunInALinkedWorktreeFixesThatWorktreesBranch() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 1)
            let mainTip = try await repo.fixture.head()
            _ = try await repo.fixture.git("worktree", "add", "-q", "-b", "feature", dir + "/feature")
            let feature = GitFixture(root: dir + "/feature")
            try feature.write(["src/pkg/only_on_feature.py": PythonSamples.fixable(7)])
            try await feature.commitAll("feature work")
            let result = try await StomperBinary.run(["fix", "--json"], in: dir + "/feature", environment: ["STOMPER_DOCS_ENABLED": "false"])
            #expect(result.exitCode == 0, "\(result.stderrText)")
            #expect(try await repo.fixture.head() == mainTip)
            #expect(try await repo.status().isEmpty)
            #expect(try repo.fixture.read("src/pkg/fixable_0.py") == PythonSamples.fixable(0))
            let fixed = try await feature.git("log", "--format=%s", "main..feature")
            #expect(fixed.contains("src/pkg/only_on_feature.py") && fixed.contains("src/pkg/fixable_0.py"), "\(fixed)")
            #expect(try feature.read("src/pkg/only_on_feature.py") == PythonSamples.fixed(7))
            #expect(try await feature.git("status", "--porcelain").isEmpty)
        }
    }

    @Test func aDryRunShowsDiffsAndCommitsNothing() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 2)
            let result = try await repo.stomper("fix", "--dry-run")
            #expect(result.exitCode == 0, "\(result.stderrText)")
            #expect(result.stdoutText.contains("-import os"))
            #expect(result.stdoutText.contains("2 would be fixed"))
            #expect(try await repo.commitCount() == 1)
            #expect(try await repo.status().isEmpty)
            #expect(try await repo.worktreeCount() == 1)
        }
    }

    @Test func pathsRestrictWhatIsFixed() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 2, extra: ["other/x.py": PythonSamples.fixable(9)])
            let result = try await StomperBinary.run(
                ["fix", "pkg/fixable_1.py"], in: repo.root + "/src",
                environment: ["STOMPER_DOCS_ENABLED": "false"])
            #expect(result.exitCode == 0, "\(result.stderrText)")
            let changed = try await repo.fixture.git("log", "--format=", "--name-only", "HEAD~1..HEAD")
            #expect(changed == "src/pkg/fixable_1.py\n")
            #expect(try await repo.commitCount() == 2)
        }
    }

    @Test func nothingToDoExitsZero() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", extra: ["ok.py": PythonSamples.clean])
            let result = try await repo.stomper("fix")
            #expect(result.exitCode == 0)
            #expect(try await repo.commitCount() == 1)
        }
    }
}

/// Command agents that misbehave: each is caught, main stays untouched, the run carries on.
@Suite(.tags(.e2e), .timeLimit(.minutes(10))) struct MisbehavingAgentTests {
    static let agentScript = """
        #!/bin/sh
        file="$1"
        fix() { sed -i '/^import os$/d' "$file"; }
        case "$file" in
          *crash*) kill -SEGV $$ ;;
          *hang*) sleep 600 ;;
          *second*) fix; echo "x = 1" >> src/other.py ;;
          *hook*) fix; printf '#!/bin/sh\\necho pwned\\n' > "$(git rev-parse --git-common-dir)/hooks/post-commit"; git config user.name Mallory ;;
          *dotgit*) fix; rm -f .git; mkdir .git; echo evil > .git/evil ;;
          *commit*) fix; git -c user.name=a -c user.email=a@b commit -qam "agent commit" ;;
          *fails*) echo "model overloaded" >&2; exit 7 ;;
          *) fix ;;
        esac
        """

    /// Run one file at a time so that each write under `.git` has exactly one possible author (in
    /// parallel, every job whose agent ran at the moment of the write is held responsible).
    @Test func everyMisbehaviourIsCaughtAndTheRunCarriesOn() async throws {
        try await withTemporaryDirectory { dir in
            var files = ["src/other.py": PythonSamples.clean]
            for name in ["crash", "hang", "second", "hook", "dotgit", "commit", "fails", "good"] {
                files["src/\(name).py"] = "import os\n\n\ndef \(name)() -> int:\n    return 1\n"
            }
            let repo = try await PythonRepository.create(at: dir + "/repo", extra: files)
            let agent = dir + "/agent.sh"
            try Data(Self.agentScript.utf8).write(to: URL(fileURLWithPath: agent))
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: agent)
            let hooksBefore = try FileManager.default.contentsOfDirectory(atPath: repo.root + "/.git/hooks").sorted()
            let configBefore = try String(contentsOfFile: repo.root + "/.git/config", encoding: .utf8)
            let head = try await repo.fixture.head()

            // This is the second line of defence, detection, with the sandbox off; the same agent
            // in the sandbox is `theSandboxRefusesWhatDetectionWouldCatch` below.
            let result = try await repo.stomper(
                "fix", "--parallel", "1", "--timeout", "2", "--json",
                environment: [
                    "STOMPER_FIX_AGENT": "command", "STOMPER_AGENT_COMMAND": "[\"\(agent)\", \"{file}\"]",
                    "STOMPER_AGENT_SANDBOX": "none",
                ])
            #expect(result.exitCode == 1, "\(result.stderrText)")
            let outcomes = try repo.outcomes(try repo.report(result))
            func reason(_ name: String) -> String { outcomes["src/\(name).py"]?["reason"] as? String ?? "" }
            func status(_ name: String) -> String { outcomes["src/\(name).py"]?["status"] as? String ?? "" }
            #expect(status("good") == "fixed")
            for name in ["crash", "hang", "second", "hook", "dotgit", "commit", "fails"] {
                #expect(status(name) == "failed", "\(name): \(reason(name))")
            }
            #expect(reason("crash").contains("crashed (killed by signal 11)"))
            #expect(reason("hang").contains("timed out after 2s"))
            #expect(reason("second").contains("touches src/other.py"))
            #expect(reason("hook").contains("agent wrote under .git") && reason("hook").contains("hooks/post-commit"))
            #expect(reason("dotgit").contains("agent wrote under .git"))
            #expect(reason("commit").contains("agent made a commit"))
            #expect(reason("fails").contains("exited with status 7: model overloaded"))

            // Main: exactly one new commit (good.py), nothing else touched, git dir restored.
            #expect(try await repo.commitCount() == 2)
            #expect(try await repo.fixture.git("rev-parse", "HEAD~1").trimmingCharacters(in: .whitespacesAndNewlines) == head)
            #expect(try await repo.fixture.git("show", "--name-only", "--format=", "HEAD") == "src/good.py\n")
            #expect(try await repo.status().isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: repo.root + "/.git/hooks").sorted() == hooksBefore)
            #expect(try String(contentsOfFile: repo.root + "/.git/config", encoding: .utf8) == configBefore)
            #expect(try repo.fixture.read("src/other.py") == PythonSamples.clean)
            #expect(try await repo.worktreeCount() == 1)
        }
    }
}

extension MisbehavingAgentTests {
    /// The same agents in the sandbox (the default): writes to the common git directory and
    /// commits are refused outright, a child left writing the file is dead before verification,
    /// and main holds only the verified fixes.
    @Test func theSandboxRefusesWhatDetectionWouldCatch() async throws {
        try await withTemporaryDirectory { dir in
            var files = ["src/other.py": PythonSamples.clean]
            for name in ["crash", "hook", "dotgit", "commit", "late", "good"] {
                files["src/\(name).py"] = "import os\n\n\ndef \(name)() -> int:\n    return 1\n"
            }
            let repo = try await PythonRepository.create(at: dir + "/repo", extra: files)
            let agent = dir + "/agent.sh"
            // A late writer: it waits on a FIFO (in the agent's folder, read-only to it) that the
            // test writes to after the run, and would then append to the file.
            let late = try lateWriterScript(folder: dir, file: "\"$file\"")
            let script = Self.agentScript.replacingOccurrences(of: "  *) fix ;;", with: "  *late*)\n\(late)\n    fix ;;\n  *) fix ;;")
            try Data(script.utf8).write(to: URL(fileURLWithPath: agent))
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: agent)
            let hooksBefore = try FileManager.default.contentsOfDirectory(atPath: repo.root + "/.git/hooks").sorted()
            let configBefore = try String(contentsOfFile: repo.root + "/.git/config", encoding: .utf8)

            let result = try await repo.stomper(
                "fix", "--parallel", "2", "--timeout", "20", "--json",
                environment: [
                    "STOMPER_FIX_AGENT": "command", "STOMPER_AGENT_COMMAND": "[\"\(agent)\", \"{file}\"]",
                ])
            #expect(result.exitCode == 1, "\(result.stderrText)")
            #expect(!fifoHasReader(dir + "/held"), "the late writer outlived its agent")
            let outcomes = try repo.outcomes(try repo.report(result))
            func reason(_ name: String) -> String { outcomes["src/\(name).py"]?["reason"] as? String ?? "" }
            func status(_ name: String) -> String { outcomes["src/\(name).py"]?["status"] as? String ?? "" }
            #expect(status("good") == "fixed" && status("late") == "fixed", "\(reason("late"))")
            for name in ["crash", "dotgit"] {
                #expect(status(name) == "failed", "\(name): \(reason(name))")
            }
            #expect(reason("crash").contains("crashed (killed by signal 11)"))
            #expect(reason("dotgit").contains("agent wrote under .git"))
            // The hook and commit writes were refused by the read-only common dir, so those agents
            // exited non-zero; what they left in their worktrees is their fix, which verification
            // accepts (the exit status is recorded, it does not decide).
            for name in ["hook", "commit"] {
                #expect(status(name) == "fixed", "\(name): \(reason(name))")
                #expect((outcomes["src/\(name).py"]?["agent_exit_status"] as? Int ?? 0) != 0, "\(name)")
            }
            #expect(try await repo.commitCount() == 5)
            #expect(try await repo.fixture.git("show", "main:src/late.py") == "\n\ndef late() -> int:\n    return 1\n")
            #expect(try await repo.status().isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: repo.root + "/.git/hooks").sorted() == hooksBefore)
            #expect(try String(contentsOfFile: repo.root + "/.git/config", encoding: .utf8) == configBefore)
            #expect(try await repo.worktreeCount() == 1)
        }
    }
}

@Suite(.tags(.e2e)) struct UsageErrorTests {
    @Test func outsideAGitRepositoryIsExitTwoWithAClearMessage() async throws {
        try await withTemporaryDirectory { dir in
            let result = try await StomperBinary.run(["fix"], in: dir)
            #expect(result.exitCode == 2)
            #expect(result.stderrText.contains("not inside a git repository"))
        }
    }

    @Test func anUnknownConfigKeyIsExitTwoNamingTheKey() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 1)
            try repo.fixture.write(["stomper.toml": "[fix]\nparalel = 3\n"])
            let result = try await repo.stomper("fix")
            #expect(result.exitCode == 2)
            #expect(result.stderrText.contains("unknown key \"paralel\" in [fix]"))
            #expect(result.stderrText.contains("parallel"))
            #expect(try await repo.commitCount() == 1)
        }
    }

    @Test func aWronglyTypedConfigValueIsExitTwo() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 1)
            try repo.fixture.write(["stomper.toml": "[fix]\nparallel = \"four\"\n"])
            let result = try await repo.stomper("fix")
            #expect(result.exitCode == 2)
            #expect(result.stderrText.contains("fix.parallel"))
            #expect(result.stderrText.contains("expected an integer"))
        }
    }

    @Test func aMissingRuffIsExitTwoNamingTheInstallCommand() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 1)
            let result = try await repo.stomper("fix", environment: ["STOMPER_LINTERS_RUFF_EXECUTABLE": "/nonexistent/ruff"])
            #expect(result.exitCode == 2)
            #expect(result.stderrText.contains("pip install ruff"))
        }
    }

    @Test func aDetachedHeadIsExitTwo() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 1)
            try await repo.fixture.git("checkout", "-q", "--detach")
            let result = try await repo.stomper("fix")
            #expect(result.exitCode == 2)
            #expect(result.stderrText.contains("HEAD is detached"))
        }
    }
}

@Suite(.tags(.e2e)) struct CheckAndConfigTests {
    @Test func checkListsDiagnosticsAndWhatFixWouldDo() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 1, unfixable: 2)
            try repo.fixture.write(["src/pkg/unfixable_0.py": PythonSamples.unfixable(0) + "# edit\n"])
            let result = try await repo.stomper("check")
            #expect(result.exitCode == 1)
            #expect(result.stdoutText.contains("src/pkg/fixable_0.py:1:8: F401 [*] `sys` imported but unused"), "\(result.stdoutText)")
            #expect(result.stdoutText.contains("src/pkg/unfixable_1.py:2:5: E741 Ambiguous variable name: `l`"))
            #expect(
                result.stdoutText.contains(
                    "src/pkg/fixable_0.py: will be fixed in part: 5 diagnostics (F401, F541, I001, UP006); "
                        + "1 diagnostic needs an agent (UP035)"))
            #expect(result.stdoutText.contains("src/pkg/unfixable_1.py: needs an agent: 2 diagnostics (E741, F821)"))
            #expect(result.stdoutText.contains("src/pkg/unfixable_0.py: skipped: uncommitted changes"))
            #expect(result.stdoutText.contains("stomper: 10 diagnostics in 3 files: 0 to fix, 1 to fix in part, 1 need an agent, 1 skipped"))
            let json = try await repo.stomper("check", "--json")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput)) as? [String: Any])
            #expect((object["jobs"] as? [Any])?.count == 1)
            #expect((object["skipped"] as? [Any])?.count == 2)
            let files = try #require(object["files"] as? [[String: Any]])
            #expect(files.map { $0["verdict"] as? String } == ["partial", "skipped", "needs_agent"])
            #expect(files[0]["fixable"] as? [String: Int] == ["F401": 2, "F541": 1, "I001": 1, "UP006": 1])
            #expect(files[0]["needs_agent"] as? [String: Int] == ["UP035": 1])
        }
    }

    /// A project whose ruff settings say `fix = true` (click's do): `check` only reports, it never
    /// lets ruff rewrite the checkout; `fix` still works through its worktrees.
    @Test func checkNeverRewritesFilesWhenTheProjectSetsFixTrue() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(
                at: dir + "/repo", fixable: 2,
                extra: [
                    "pyproject.toml": PythonSamples.pyproject.replacingOccurrences(
                        of: "[tool.ruff]\n", with: "[tool.ruff]\nfix = true\nunsafe-fixes = true\n")
                ])
            let check = try await repo.stomper("check")
            #expect(check.exitCode == 1, "\(check.stderrText)")
            #expect(try await repo.status().isEmpty, "check changed the checkout")
            #expect(check.stdoutText.contains("src/pkg/fixable_0.py: will be fixed"))
            let fix = try await repo.stomper("fix", "--json")
            #expect(fix.exitCode == 0, "\(fix.stderrText)")
            #expect(try await repo.commitCount() == 3)
            #expect(try await repo.status().isEmpty)
        }
    }

    @Test func configDumpShowsEveryLayerAndItsSource() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo")
            try repo.fixture.write(["stomper.toml": "[fix]\nparallel = 3\nmax_attempts = 5\n"])
            let result = try await repo.stomper("config", "dump", environment: ["STOMPER_FIX_MAX_ATTEMPTS": "2"])
            #expect(result.exitCode == 0, "\(result.stderrText)")
            #expect(result.stdoutText.contains("parallel = 3  # stomper.toml"))
            #expect(result.stdoutText.contains("max_attempts = 2  # environment"))
            #expect(result.stdoutText.contains("agent = \"autofix\"  # default"))
            let flagged = try await repo.stomper("fix", "--parallel", "0")
            #expect(flagged.exitCode == 2)
            #expect(flagged.stderrText.contains("fix.parallel = 0"))
        }
    }
}

/// The README's quick start, through the shipped demo script.
@Suite(.tags(.e2e), .timeLimit(.minutes(10))) struct DemoTests {
    /// `bash Demos/quickstart.sh DIR`, as the README says (with the binary the suite built, so it
    /// does not build again): autofix lands every file it can fix, leaves the files that need an
    /// agent untouched, writes no docs nobody asked for, and the script exits with stomper's own
    /// status (1: diagnostics are left for an agent), not with a SIGPIPE from its `git log`.
    @Test func theQuickStartScriptFixesTheDemoAndExitsWithStompersStatus() async throws {
        try await withTemporaryDirectory { dir in
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Demos/quickstart.sh").path
            let result = try await ProcessRunner.run(
                ProcessSpec(
                    executable: "/bin/bash", arguments: [script, dir + "/demo"],
                    environment: ["STOMPER_BIN": StomperBinary.path],
                    timeout: .seconds(300)))
            #expect(result.exitCode == 1, "\(result.stdoutText) \(result.stderrText)")
            // 24 fixable files and the mixed one are fixed; 4 need an agent, as does mixed.py's F821.
            #expect(
                result.stdoutText.contains("stomper: 29 files: 25 fixed, 4 need an agent; 145 diagnostics fixed"),
                "\(result.stdoutText)")
            #expect(result.stdoutText.contains("9 diagnostics in 5 files need an AI agent"))
            #expect(result.stdoutText.contains("stomper: 25 files to fix on main (4 need an agent);"))
            #expect(result.stdoutText.contains("demo: stomper exited with 1"))
            #expect(!result.stdoutText.contains("docs:"))
            let demo = GitFixture(root: dir + "/demo")
            #expect(try await demo.git("rev-list", "--count", "HEAD") == "26\n")
            #expect(try await demo.git("ls-files", "docs").isEmpty)
            #expect(try await demo.git("status", "--porcelain").isEmpty)
        }
    }
}

@Suite(.tags(.e2e)) struct ShippedConfigTests {
    /// Config/stomper.toml documents every setting with its default: it must load, and every value
    /// in it must equal the built-in default.
    @Test func theDocumentedDefaultConfigIsValidAndMatchesTheDefaults() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo")
            let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Config/stomper.toml").path
            let withFile = try await repo.stomper("config", "dump", "--config", shipped, environment: ["STOMPER_DOCS_ENABLED": nil])
            let defaults = try await repo.stomper("config", "dump", environment: ["STOMPER_DOCS_ENABLED": nil])
            #expect(withFile.exitCode == 0, "\(withFile.stderrText)")
            func values(_ text: String) -> [String] {
                text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.components(separatedBy: "  #")[0] }
            }
            #expect(values(withFile.stdoutText) == values(defaults.stdoutText))
            let documented = try String(contentsOfFile: shipped, encoding: .utf8)
            for line in values(defaults.stdoutText) where line.contains(" = ") {
                #expect(documented.contains(line + "\n"), "Config/stomper.toml lacks \(line)")
            }
        }
    }
}

@Suite(.tags(.e2e), .timeLimit(.minutes(10))) struct InterruptTests {
    /// Ctrl-C during a run stops the agent's whole process group (agents run in their own session,
    /// so the terminal's signal would not reach them), commits nothing half-done, removes the
    /// worktrees, and exits 130.
    @Test func anInterruptStopsAgentsAndCleansUp() async throws {
        try await withTemporaryDirectory { dir in
            var files: [String: String] = [:]
            for name in ["a", "b", "c"] { files["src/\(name).py"] = "import os\n\n\ndef \(name)() -> int:\n    return 1\n" }
            let repo = try await PythonRepository.create(at: dir + "/repo", extra: files)
            let agent = dir + "/agent.sh"
            let pidFile = dir + "/agent.pid"
            // The agent interrupts stomper (its parent) and then hangs, as a slow agent would.
            try Data("#!/bin/sh\necho $$ > \(pidFile)\nkill -INT $PPID\nexec sleep 600\n".utf8).write(to: URL(fileURLWithPath: agent))
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: agent)
            // The agent plays the user pressing Ctrl-C by signalling its parent, which a sandboxed
            // agent cannot see (its own PID namespace): this test runs uncontained.
            let result = try await repo.stomper(
                "fix", "--parallel", "1", "--json",
                environment: [
                    "STOMPER_FIX_AGENT": "command", "STOMPER_AGENT_COMMAND": "[\"\(agent)\", \"{file}\"]",
                    "STOMPER_AGENT_SANDBOX": "none",
                ])
            #expect(result.exitCode == 130, "\(result.stderrText)")
            #expect(result.stderrText.contains("interrupted"))
            let outcomes = try repo.outcomes(try repo.report(result))
            #expect(outcomes.count == 3)
            #expect(outcomes.values.allSatisfy { $0["status"] as? String == "skipped" })
            let agentPID = try #require(
                Int32(
                    try String(contentsOfFile: pidFile, encoding: .utf8)
                        .trimmingCharacters(in: .whitespacesAndNewlines)))
            let stat = try? String(contentsOfFile: "/proc/\(agentPID)/stat", encoding: .utf8)
            #expect(stat == nil || stat!.contains(") Z "), "the agent process is still running: \(stat ?? "")")
            #expect(try await repo.commitCount() == 1)
            #expect(try await repo.status().isEmpty)
            #expect(try await repo.worktreeCount() == 1)
        }
    }
}

@Suite(.tags(.e2e)) struct AgentConfigurationErrorTests {
    @Test func aMissingAgentCommandIsExitTwoBeforeAnythingRuns() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 1)
            let missing = try await repo.stomper(
                "fix", "--agent", "command",
                environment: [
                    "STOMPER_AGENT_COMMAND": "[\"stomper-no-such-agent\", \"{file}\"]"
                ])
            #expect(missing.exitCode == 2)
            #expect(missing.stderrText.contains("stomper-no-such-agent` was not found"))
            let empty = try await repo.stomper("fix", "--agent", "command")
            #expect(empty.exitCode == 2)
            #expect(empty.stderrText.contains("agent.command"))
            let badPlaceholder = try await repo.stomper(
                "fix", "--agent", "command",
                environment: [
                    "STOMPER_AGENT_COMMAND": "[\"/bin/true\", \"{flie}\"]"
                ])
            #expect(badPlaceholder.exitCode == 2)
            #expect(badPlaceholder.stderrText.contains("unknown placeholder {flie}"))
            #expect(try await repo.commitCount() == 1)
        }
    }
}
