import Foundation
import StomperQuality
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct RuffLinterTests {
    @Test func lintsInOneProcessAndNormalisesPaths() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(
                at: dir + "/repo",
                files: [
                    "pyproject.toml": PythonSamples.pyproject,
                    "pkg/a.py": PythonSamples.fixable(1),
                    "pkg/b.py": PythonSamples.unfixable(2),
                    "ok.py": PythonSamples.clean,
                ])
            let grouped = try await RuffLinter().lintGrouped(paths: [], root: fixture.root)
            #expect(Set(grouped.keys) == ["pkg/a.py", "pkg/b.py"])
            let a = try #require(grouped["pkg/a.py"])
            #expect(a.map(\.code).sorted() == ["F401", "F401", "F541", "I001", "UP006", "UP035"])
            #expect(a.allSatisfy { $0.tool == "ruff" && $0.line >= 1 && $0.column >= 1 })
            #expect(a.filter(\.fixable).map(\.code).sorted() == ["F401", "F401", "F541", "I001", "UP006"])
            let b = try #require(grouped["pkg/b.py"])
            #expect(b.map(\.code) == ["E741", "F821"])
            #expect(b.allSatisfy { !$0.fixable })
            #expect(b[0].line == 2 && b[0].column == 5 && b[0].endColumn == 6)
        }
    }

    @Test func lintsOnlyTheGivenPaths() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(
                at: dir + "/repo",
                files: [
                    "pyproject.toml": PythonSamples.pyproject, "a.py": PythonSamples.unfixable(1), "b.py": PythonSamples.unfixable(2),
                ])
            let diagnostics = try await RuffLinter().lint(paths: ["b.py"], root: fixture.root)
            #expect(Set(diagnostics.map(\.path)) == ["b.py"])
        }
    }

    @Test func unsafeFixesCountAsFixableOnlyWhenEnabled() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(
                at: dir + "/repo",
                files: [
                    "pyproject.toml": PythonSamples.pyproject, "a.py": "def f() -> None:\n    unused = 1\n",
                ])
            let safe = try await RuffLinter().lint(paths: [], root: fixture.root)
            let unsafe = try await RuffLinter(unsafeFixes: true).lint(paths: [], root: fixture.root)
            #expect(safe.map(\.code) == ["F841"] && safe[0].fixable == false)
            #expect(unsafe.map(\.code) == ["F841"] && unsafe[0].fixable == true)
        }
    }

    /// Exit status 2 is ruff failing, not a clean result: it becomes an error carrying ruff's stderr.
    @Test func exitStatusTwoIsAToolFailureWithItsStandardError() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(
                at: dir + "/repo",
                files: [
                    "pyproject.toml": "[tool.ruff.lint]\nselect = [\"NOPE999\"]\n", "a.py": "x = 1\n",
                ])
            await #expect {
                _ = try await RuffLinter().lint(paths: [], root: fixture.root)
            } throws: { error in
                guard let error = error as? QualityError else { return false }
                return error.code == .toolFailed && error.exitStatus == 2 && (error.standardError ?? "").contains("NOPE999")
            }
        }
    }

    @Test func aMissingRuffNamesTheInstallCommand() async throws {
        await #expect {
            _ = try await RuffLinter(executable: "/nonexistent/ruff").version()
        } throws: { error in
            guard let error = error as? QualityError else { return false }
            return error.code == .toolMissing && error.message.contains("pip install ruff")
        }
    }

    @Test func reportsItsVersion() async throws {
        let version = try await RuffLinter().version()
        #expect(version.hasPrefix("ruff "))
    }

    /// Older ruff versions (≤ 0.12) emit `code: null` for syntax errors and lack `name`/`severity`.
    @Test func parsesOldFieldShapesAndAbsoluteFilenames() throws {
        let json = """
            [{"cell": null, "code": null, "end_location": {"column": 3, "row": 1}, "filename": "/repo/src/x.py",
              "fix": null, "location": {"column": 1, "row": 1}, "message": "SyntaxError: Expected an expression",
              "noqa_row": null, "url": null}]
            """
        let diagnostics = try RuffLinter().parse(Array(json.utf8), root: "/repo")
        #expect(
            diagnostics == [
                Diagnostic(
                    tool: "ruff", path: "src/x.py", line: 1, column: 1, endLine: 1, endColumn: 3,
                    code: "invalid-syntax", message: "SyntaxError: Expected an expression")
            ])
    }

    @Test func garbageOutputIsAnUnreadableOutputError() {
        #expect {
            _ = try RuffLinter().parse(Array("not json".utf8), root: "/repo")
        } throws: { ($0 as? QualityError)?.code == .unreadableOutput }
    }
}

@Suite(.tags(.unit)) struct RuffLintFailureTests {
    /// A file ruff fails to lint (invalid UTF-8 appended) is not clean, whether or not the rule
    /// selection includes E902: it carries an E902 diagnostic.
    @Test(arguments: [[], ["--select", "F401"]])
    func aFileRuffCannotReadIsNotClean(extraArguments: [String]) async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(
                at: dir + "/repo",
                files: [
                    "pyproject.toml": PythonSamples.pyproject, "a.py": PythonSamples.clean,
                ])
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: fixture.root + "/a.py"))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data([0xff, 0xfe, 0x0a]))
            try handle.close()
            let diagnostics = try await RuffLinter(extraArguments: extraArguments).lint(paths: ["a.py"], root: fixture.root)
            #expect(diagnostics.map(\.code) == ["E902"], "\(diagnostics)")
            #expect(diagnostics.first?.path == "a.py")
        }
    }

    @Test func failureLinesOnStandardErrorBecomeDiagnostics() {
        let linter = RuffLinter()
        let failures = linter.lintFailures(
            """
            warning: Failed to lint src/a.py: stream did not contain valid UTF-8
            error: Failed to lint /repo/b.py: Permission denied (os error 13)
            warning: something else
            """, root: "/repo")
        #expect(failures.map(\.path) == ["src/a.py", "b.py"])
        #expect(failures.allSatisfy { $0.code == "E902" })
        let reported = Diagnostic(tool: "ruff", path: "src/a.py", line: 1, column: 1, code: "E902", message: "x")
        #expect(linter.lintFailures("warning: Failed to lint src/a.py: x", root: "/repo", reported: [reported]).isEmpty)
    }
}
