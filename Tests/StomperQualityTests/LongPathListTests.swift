import Foundation
import StomperProcess
import StomperQuality
import StomperTestSupport
import Testing

/// Linters given more paths than one command line holds, and linters the sandbox cannot start.
@Suite(.tags(.unit), .timeLimit(.minutes(5))) struct LongPathListTests {
    static func sandbox(writable: [String] = []) throws -> Sandbox {
        let bwrap = try #require(
            Sandbox.locate(searchPath: ProcessInfo.processInfo.environment["PATH"] ?? ""),
            "bubblewrap is not installed: apt-get install bubblewrap")
        return Sandbox(bwrap: bwrap, writable: writable)
    }

    @Test func batchesKeepTheOrderAndStayWithinTheirCountAndBytes() {
        #expect(PathBatches.split([]) == [[]])
        let paths = (0..<25).map { "src/module_\($0).py" }
        let byCount = PathBatches.split(paths, count: 10)
        #expect(byCount.map(\.count) == [10, 10, 5])
        #expect(byCount.flatMap { $0 } == paths)
        let byBytes = PathBatches.split(paths, count: 100, bytes: 60)
        #expect(byBytes.flatMap { $0 } == paths)
        #expect(byBytes.allSatisfy { batch in batch.reduce(0) { $0 + $1.utf8.count + 1 } <= 60 })
        #expect(byBytes.count > 1)
        let long = String(repeating: "x", count: 100)
        #expect(PathBatches.split(["a", long, "b"], bytes: 50) == [["a"], [long], ["b"]])
    }

    /// 9,200 named files are past bubblewrap's 9,000 arguments: every one is still linted, by
    /// ruff and ruff's formatter, inside the sandbox (`stomper land` and `check PATHS…` name them).
    @Test func aSandboxedLinterSetLintsMoreFilesThanOneCommandLineHolds() async throws {
        try await withTemporaryDirectory { dir in
            let root = dir + "/repo"
            try FileManager.default.createDirectory(atPath: root + "/src", withIntermediateDirectories: true)
            try PythonSamples.pyproject.write(toFile: root + "/pyproject.toml", atomically: false, encoding: .utf8)
            let paths = (0..<9200).map { "src/module_\($0).py" }
            // The files are written and removed by child processes: thousands of file operations on
            // a test thread would hold one of the few threads every other test's tasks share.
            let made = try await ProcessRunner.run(
                ProcessSpec(
                    executable: "python3",
                    arguments: [
                        "-c",
                        "import sys\nfor i in range(9200):\n    open(f'src/module_{i}.py', 'w').write('import os\\nx=1\\n' if i % 1000 == 0 else 'import os\\n')",
                    ], workingDirectory: root, timeout: .seconds(300)))
            #expect(made.exitCode == 0, "\(made.stderrText)")
            let set = try LinterSet([RuffLinter(), RuffFormatLinter()], sandbox: try Self.sandbox())
            let diagnostics = try await set.lint(paths: paths, root: root)
            let unused = diagnostics.filter { $0.code == "F401" }
            #expect(unused.count == paths.count)
            #expect(Set(unused.map(\.path)) == Set(paths))
            let unformatted = diagnostics.filter { $0.tool == "ruff-format" }.map(\.path)
            #expect(unformatted == stride(from: 0, to: 9200, by: 1000).map { "src/module_\($0).py" }.sorted())
            _ = try await ProcessRunner.run(ProcessSpec(executable: "rm", arguments: ["-rf", root + "/src"], timeout: .seconds(300)))
        }
    }

    /// A linter whose exit 1 means "findings" and whose report can be empty read as clean when
    /// bubblewrap refused to start it (it too exits 1, printing only `bwrap: …`); it is a failure
    /// that says what bubblewrap said.
    @Test func aLinterTheSandboxCannotStartFailsInsteadOfReadingAsClean() async throws {
        try await withTemporaryDirectory { dir in
            try "x\n".write(toFile: dir + "/a.txt", atomically: false, encoding: .utf8)
            let linter = try PatternLinter(
                name: "grep-x", command: ["grep", "-Hn", "^y", "{files}"],
                pattern: #"^(?<file>[^:]+):(?<line>\d+):(?<message>.*)$"#)
            #expect(try await LinterSet([linter]).lint(paths: ["a.txt"], root: dir).isEmpty)
            let broken = try Self.sandbox(writable: [dir + "/missing-folder"])
            await #expect {
                _ = try await LinterSet([linter], sandbox: broken).lint(paths: ["a.txt"], root: dir)
            } throws: { error in
                guard let error = error as? QualityError else { return false }
                return error.code == .toolFailed && error.message.contains("the sandbox (bubblewrap) could not start grep-x")
                    && error.message.contains("missing-folder")
            }
        }
    }
}
