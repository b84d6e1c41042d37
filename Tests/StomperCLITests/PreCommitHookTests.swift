import Foundation
import StomperProcess
import StomperTestSupport
import Testing

/// `.pre-commit-hooks.yaml` through pre-commit itself (`pre-commit try-repo` on this repository,
/// with the suite's `stomper` on PATH, as `language: system` hooks expect).
@Suite(.tags(.e2e), .timeLimit(.minutes(5))) struct PreCommitHookTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static func run(_ arguments: [String], in directory: String) async throws -> ProcessResult {
        let bin = URL(fileURLWithPath: StomperBinary.path).deletingLastPathComponent().path
        return try await ProcessRunner.run(
            ProcessSpec(
                executable: "/usr/bin/env", arguments: ["pre-commit"] + arguments, workingDirectory: directory,
                environment: [
                    "PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
                    "PRE_COMMIT_HOME": directory + "/.pre-commit-home", "STOMPER_CI": "0", "STOMPER_DOCS_ENABLED": "false",
                ],
                timeout: .seconds(240)))
    }

    @Test func theCheckHookFailsOnStagedDiagnosticsAndTheManualFixHookFixesCommittedFiles() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 1)
            try repo.fixture.write([".gitignore": ".pre-commit-home/\n"])
            try await repo.fixture.commitAll("ignore pre-commit's cache")
            // A staged file with an unused import: stomper-check fails and prints the diagnostic.
            try repo.fixture.write(["src/pkg/staged.py": "import os\n"])
            try await repo.fixture.git("add", "src/pkg/staged.py")
            let failing = try await Self.run(
                ["try-repo", Self.repositoryRoot, "stomper-check", "--files", "src/pkg/staged.py"],
                in: repo.root)
            #expect(failing.exitCode == 1, "\(failing.stdoutText) \(failing.stderrText)")
            #expect(failing.stdoutText.contains("src/pkg/staged.py:1:8: F401"), "\(failing.stdoutText)")
            // Fixed by hand: the hook passes.
            try repo.fixture.write(["src/pkg/staged.py": "VALUE = 1\n"])
            try await repo.fixture.git("add", "src/pkg/staged.py")
            let passing = try await Self.run(
                ["try-repo", Self.repositoryRoot, "stomper-check", "--files", "src/pkg/staged.py"],
                in: repo.root)
            #expect(passing.exitCode == 0, "\(passing.stdoutText) \(passing.stderrText)")
            try await repo.fixture.commitAll("staged")

            // The manual stage: stomper-fix lands the committed file's fix on stomper/fixes, with an
            // unstaged edit in the checkout (pre-commit stashes it) left exactly as it was.
            let head = try await repo.fixture.head()
            try repo.fixture.write(["src/pkg/staged.py": "VALUE = 2  # unstaged\n"])
            let fixing = try await Self.run(
                ["try-repo", Self.repositoryRoot, "stomper-fix", "--hook-stage", "manual", "--all-files"],
                in: repo.root)
            #expect(fixing.exitCode == 0, "\(fixing.stdoutText) \(fixing.stderrText)")
            #expect(try await repo.fixture.head() == head)
            #expect(try await repo.fixture.git("log", "-1", "--format=%s", "stomper/fixes").contains("src/pkg/fixable_0.py"))
            #expect(try await repo.fixture.git("rev-list", "--count", "\(head)..stomper/fixes") == "1\n")
            #expect(try String(contentsOfFile: repo.root + "/src/pkg/staged.py", encoding: .utf8) == "VALUE = 2  # unstaged\n")
        }
    }
}
