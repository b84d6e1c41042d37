import Foundation
import StomperAgents
import StomperQuality
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct CommandAgentTests {
    func request(
        _ dir: String, path: String = "a.py", timeout: Duration = .seconds(30), attempt: Int = 1,
        feedback: AttemptFeedback? = nil
    ) -> FixRequest {
        FixRequest(
            worktree: dir, path: path,
            diagnostics: [
                Diagnostic(
                    tool: "ruff", path: path, line: 1, column: 8, code: "F401", message: "`os` imported but unused",
                    url: "https://docs.astral.sh/ruff/rules/unused-import")
            ],
            attempt: attempt, feedback: feedback, timeout: timeout, scratchDirectory: dir + "/.scratch")
    }

    func script(_ dir: String, _ body: String) throws -> String {
        let path = dir + "/agent.sh"
        try Data("#!/bin/sh\n\(body)\n".utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return path
    }

    @Test func substitutesPlaceholdersAndSendsThePromptOnStdin() async throws {
        try await withTemporaryDirectory { dir in
            try Data("import os\n".utf8).write(to: URL(fileURLWithPath: dir + "/a.py"))
            let agentPath = try script(
                dir,
                """
                printf '%s\\n' "$@" > "$PWD/args.txt"
                cat > "$PWD/stdin.txt"
                cp "$3" "$PWD/promptfile.txt"
                """)
            let agent = try CommandAgent(argv: [agentPath, "{file}", "{worktree}", "{prompt_file}", "attempt-{attempt}"])
            let outcome = try await agent.fix(request(dir, attempt: 2))
            #expect(outcome.status == .completed)
            let args = try String(contentsOfFile: dir + "/args.txt", encoding: .utf8).split(separator: "\n")
            #expect(args[0] == "a.py")
            #expect(args[1] == dir)
            #expect(args[2].hasPrefix(dir + "/.scratch/prompt-"))
            #expect(args[3] == "attempt-2")
            let stdin = try String(contentsOfFile: dir + "/stdin.txt", encoding: .utf8)
            #expect(stdin.contains("F401") && stdin.contains("a.py"))
            #expect(try String(contentsOfFile: dir + "/promptfile.txt", encoding: .utf8) == stdin)
            // The prompt file is removed after the attempt.
            #expect(!FileManager.default.fileExists(atPath: String(args[2])))
        }
    }

    @Test func rejectsUnknownPlaceholdersAndEmptyCommands() {
        #expect(throws: AgentError.self) { _ = try CommandAgent(argv: ["agent", "{flie}"]) }
        #expect(throws: AgentError.self) { _ = try CommandAgent(argv: []) }
    }

    @Test func reportsFailureCrashTimeoutAndMissingExecutable() async throws {
        try await withTemporaryDirectory { dir in
            let failing = try CommandAgent(argv: [try script(dir, "echo 'quota exceeded' >&2; exit 3")])
            let failed = try await failing.fix(request(dir))
            #expect(failed.status == .failed(reason: "agent `agent.sh` exited with status 3: quota exceeded"))

            let crashing = try CommandAgent(argv: ["/bin/sh", "-c", "kill -SEGV $$"])
            #expect(try await crashing.fix(request(dir)).status == .crashed(signal: SIGSEGV))

            let hanging = try CommandAgent(argv: ["/bin/sh", "-c", "sleep 600"])
            let hung = try await hanging.fix(request(dir, timeout: .milliseconds(200)))
            #expect(hung.status == .timedOut(after: .milliseconds(200)))

            let missing = try CommandAgent(argv: ["/nonexistent/agent"])
            guard case .unavailable = try await missing.fix(request(dir)).status else {
                Issue.record("a missing executable must be reported as unavailable")
                return
            }
        }
    }
}

@Suite(.tags(.unit)) struct AutofixAgentTests {
    @Test func runsTheLintersOwnFixOnOneFile() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(
                at: dir + "/repo",
                files: [
                    "pyproject.toml": PythonSamples.pyproject, "a.py": PythonSamples.fixable(1), "b.py": PythonSamples.fixable(2),
                ])
            let linter = RuffLinter()
            let agent = AutofixAgent(linters: [linter], toolVersions: ["ruff": try await linter.version()])
            let outcome = try await agent.fix(
                FixRequest(
                    worktree: fixture.root, path: "a.py", diagnostics: [], timeout: .seconds(60),
                    scratchDirectory: dir + "/scratch"))
            #expect(outcome.status == .completed)
            #expect(outcome.calls == 1)
            #expect(try fixture.read("a.py") == PythonSamples.fixed(1))
            #expect(try fixture.read("b.py") == PythonSamples.fixable(2))
        }
    }

    /// A worktree with a Python file and a shell script; each job runs only the linter whose
    /// diagnostics it targets: ruff rewrites a.py, shellcheck's diff is applied to run.sh, then
    /// shellcheck runs again on the result and prints nothing.
    @Test(.tags(.slow)) func appliesShellchecksDiffBesideRuffsFix() async throws {
        try await withTemporaryDirectory { dir in
            let script = "#!/bin/bash\nls *.txt\necho $1\ncd dir\n"
            let fixture = try await GitFixture.create(
                at: dir + "/repo",
                files: [
                    "pyproject.toml": PythonSamples.pyproject, "a.py": PythonSamples.fixable(1), "bin/run.sh": script,
                ])
            let ruff = RuffLinter()
            let shellcheck = ShellcheckLinter()
            let agent = AutofixAgent(
                linters: [ruff, shellcheck],
                toolVersions: ["ruff": try await ruff.version(), "shellcheck": try await shellcheck.version()])
            #expect(agent.identity.settings.contains("shellcheck@shellcheck "))
            #expect(agent.identity.settings.hasSuffix(": -f diff --color=never -- {file}"))

            let diagnostics = try await shellcheck.lint(paths: ["bin/run.sh"], root: fixture.root)
            var request = FixRequest(
                worktree: fixture.root, path: "bin/run.sh", diagnostics: diagnostics.filter { $0.code == "SC2164" },
                timeout: .seconds(60), scratchDirectory: dir + "/scratch")
            request.leaveAlone = diagnostics.filter { $0.code != "SC2164" }
            let leaving = try await agent.fix(request)
            #expect(leaving.status == .completed, "\(leaving.output)")
            #expect(leaving.calls == 2)
            #expect(try fixture.read("bin/run.sh") == "#!/bin/bash\nls *.txt\necho $1\ncd dir || exit\n")

            request.leaveAlone = []
            let outcome = try await agent.fix(request)
            #expect(outcome.status == .completed, "\(outcome.output)")
            #expect(outcome.calls == 2)
            #expect(try fixture.read("bin/run.sh") == "#!/bin/bash\nls *.txt\necho \"$1\"\ncd dir || exit\n")
            #expect(try await shellcheck.lint(paths: ["bin/run.sh"], root: fixture.root).map(\.code) == ["SC2035"])

            let python = try await ruff.lint(paths: ["a.py"], root: fixture.root)
            let fixedPython = try await agent.fix(
                FixRequest(
                    worktree: fixture.root, path: "a.py", diagnostics: python,
                    timeout: .seconds(60), scratchDirectory: dir + "/scratch"))
            #expect(fixedPython.status == .completed && fixedPython.calls == 1)
            #expect(try fixture.read("a.py") == PythonSamples.fixed(1))
        }
    }

    /// A fixer standing in for shellcheck, printing `diff` whatever it is asked.
    func printingFixer(_ diff: String, in dir: String) throws -> ShellcheckLinter {
        let path = dir + "/fake-shellcheck"
        try Data("#!/bin/sh\ncat <<'EOF'\n\(diff)EOF\nexit 1\n".utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return ShellcheckLinter(executable: path)
    }

    @Test func aDiffThatDoesNotApplyFailsTheAttemptAndWritesNothing() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["run.sh": "#!/bin/sh\necho $1\n"])
            let request = FixRequest(
                worktree: fixture.root, path: "run.sh", diagnostics: [], timeout: .seconds(60),
                scratchDirectory: dir + "/scratch")
            let mismatch = try printingFixer("--- a/run.sh\n+++ b/run.sh\n@@ -1,2 +1,2 @@\n #!/bin/bash\n-echo $1\n+echo \"$1\"\n", in: dir)
            let outcome = try await AutofixAgent(linters: [mismatch], toolVersions: [:]).fix(request)
            guard case .failed(let reason) = outcome.status else {
                Issue.record("expected a failure, got \(outcome.status)")
                return
            }
            #expect(reason.contains("shellcheck's fix for run.sh was not applied") && reason.contains("hunk 1 of 1"), "\(reason)")
            #expect(outcome.output.hasSuffix(reason))
            #expect(outcome.calls == 1)
            #expect(try fixture.read("run.sh") == "#!/bin/sh\necho $1\n")

            let otherFile = try printingFixer("--- a/other.sh\n+++ b/other.sh\n@@ -1 +1 @@\n-a\n+b\n", in: dir)
            let refused = try await AutofixAgent(linters: [otherFile], toolVersions: [:]).fix(request)
            #expect(refused.failureReason?.contains("not for run.sh") == true, "\(refused.status)")
            #expect(try fixture.read("run.sh") == "#!/bin/sh\necho $1\n")
        }
    }

    /// A fixer whose diff always applies (an insertion at the start) runs three times, no more.
    @Test func aDiffFixerRunsAtMostThreeTimes() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["run.sh": "echo hi\n"])
            let endless = try printingFixer("--- a/run.sh\n+++ b/run.sh\n@@ -0,0 +1 @@\n+# again\n", in: dir)
            let outcome = try await AutofixAgent(linters: [endless], toolVersions: [:]).fix(
                FixRequest(worktree: fixture.root, path: "run.sh", diagnostics: [], timeout: .seconds(60), scratchDirectory: dir + "/scratch"))
            #expect(outcome.status == .completed)
            #expect(outcome.calls == 3)
            #expect(try fixture.read("run.sh") == "# again\n# again\n# again\necho hi\n")
        }
    }

    @Test func identityChangesWithSettingsThatChangeResults() {
        let safe = AutofixAgent(linters: [RuffLinter()], toolVersions: ["ruff": "ruff 1"])
        let unsafe = AutofixAgent(linters: [RuffLinter(unsafeFixes: true)], toolVersions: ["ruff": "ruff 1"])
        let newer = AutofixAgent(linters: [RuffLinter()], toolVersions: ["ruff": "ruff 2"])
        #expect(safe.identity != unsafe.identity)
        #expect(safe.identity != newer.identity)
        #expect(safe.identity == AutofixAgent(linters: [RuffLinter()], toolVersions: ["ruff": "ruff 1"]).identity)
    }
}

@Suite(.tags(.unit)) struct PromptTests {
    @Test func namesTheFileDiagnosticsContextRulesAndFeedback() async throws {
        try await withTemporaryDirectory { dir in
            try Data("import os\nx = 1\n".utf8).write(to: URL(fileURLWithPath: dir + "/a.py"))
            let remaining = Diagnostic(tool: "ruff", path: "a.py", line: 1, column: 8, code: "F401", message: "unused")
            let introduced = Diagnostic(tool: "ruff", path: "a.py", line: 2, column: 1, code: "E999", message: "broken")
            let prompt = Prompt.build(
                for: FixRequest(
                    worktree: dir, path: "a.py", diagnostics: [remaining], attempt: 2,
                    feedback: AttemptFeedback(remaining: [remaining], introduced: [introduced], notes: ["tests failed"]),
                    timeout: .seconds(1), scratchDirectory: dir))
            #expect(prompt.contains("`a.py`"))
            #expect(prompt.contains("1:8 F401 unused"))
            #expect(prompt.contains("1> import os"))
            #expect(prompt.contains("Do not add suppressions"))
            #expect(prompt.contains("still present: a.py:1:8: F401 unused"))
            #expect(prompt.contains("newly introduced: a.py:2:1: E999 broken"))
            #expect(prompt.contains("tests failed"))
        }
    }
}
