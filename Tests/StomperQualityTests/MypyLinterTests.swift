import Foundation
import StomperQuality
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct MypyLinterTests {
    /// mypy's JSON columns are 0-based; `"hello"` starts at the 10th character and ends before the 17th.
    @Test func reportsTypeErrorsWithOneBasedColumnsAndLeavesNoCache() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(
                at: dir + "/repo",
                files: [
                    "pkg/__init__.py": "", "pkg/bad.py": "x: int = \"hello\"\n", "ok.py": "y: int = 1\n",
                ])
            let diagnostics = try await MypyLinter().lint(paths: [], root: fixture.root)
            #expect(
                diagnostics == [
                    Diagnostic(
                        tool: "mypy", path: "pkg/bad.py", line: 1, column: 10, endLine: 1, endColumn: 17, code: "assignment",
                        message: "Incompatible types in assignment (expression has type \"str\", variable has type \"int\")")
                ])
            #expect(!FileManager.default.fileExists(atPath: fixture.root + "/.mypy_cache"))
            #expect(try await fixture.git("status", "--porcelain", "--ignored").isEmpty)
        }
    }

    @Test func aCacheDirectoryOutsideTheRepositoryIsUsed() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.py": "x: int = 1\n"])
            let cache = dir + "/mypy-cache"
            let diagnostics = try await MypyLinter(cacheDirectory: cache).lint(paths: ["a.py"], root: fixture.root)
            #expect(diagnostics.isEmpty)
            #expect(FileManager.default.fileExists(atPath: cache))
            #expect(!FileManager.default.fileExists(atPath: fixture.root + "/.mypy_cache"))
        }
    }

    /// Exit status 2 with JSON lines is a syntax error: diagnostics, not a failure.
    @Test func aSyntaxErrorIsADiagnostic() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["broken.py": "def f(:\n    pass\n"])
            let diagnostics = try await MypyLinter().lint(paths: ["broken.py"], root: fixture.root)
            #expect(!diagnostics.isEmpty)
            #expect(diagnostics.allSatisfy { $0.code == "syntax" && $0.path == "broken.py" && $0.column >= 1 })
        }
    }

    @Test func aMissingFileIsAToolFailureCarryingStandardError() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.py": "x = 1\n"])
            await #expect {
                _ = try await MypyLinter().lint(paths: ["nope.py"], root: fixture.root)
            } throws: { error in
                guard let error = error as? QualityError else { return false }
                return error.code == .toolFailed && error.exitStatus == 2 && (error.standardError ?? "").contains("nope.py")
            }
        }
    }

    @Test func aBadFlagIsAToolFailure() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.py": "x = 1\n"])
            await #expect {
                _ = try await MypyLinter(extraArguments: ["--no-such-flag"]).lint(paths: [], root: fixture.root)
            } throws: { error in
                guard let error = error as? QualityError else { return false }
                return error.code == .toolFailed && error.exitStatus == 2 && (error.standardError ?? "").contains("--no-such-flag")
            }
        }
    }

    /// Linting one file must not report the errors of the modules it imports.
    @Test func oneFileIsCheckedWithoutTheErrorsOfItsImports() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(
                at: dir + "/repo",
                files: [
                    "m/__init__.py": "",
                    "m/a.py": "from m.b import g\n\n\ndef f() -> int:\n    return g()\n",
                    "m/b.py": "def g() -> int:\n    return \"x\"\n",
                ])
            let linter = MypyLinter()
            // Not `--follow-imports=silent`: mypy records it in every cache entry (see `MypyCache`).
            #expect(!linter.arguments(paths: ["m/a.py"], root: fixture.root).contains("--follow-imports=silent"))
            #expect(try await linter.lint(paths: ["m/a.py"], root: fixture.root).isEmpty)
            let folder = try await linter.lint(paths: ["m"], root: fixture.root)
            #expect(folder.map(\.path) == ["m/b.py"] && folder.map(\.code) == ["return-value"])
        }
    }

    /// Standalone notes are dropped by default; a "See URL" hint becomes the diagnostic's url.
    @Test func notesAreDroppedUnlessAskedForAndHintURLsBecomeURLs() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(
                at: dir + "/repo",
                files: [
                    "hint.py": "import yaml_missing_module_xyz\n\nvalues = [1, 2]\nreveal_type(values)\n"
                ])
            let errors = try await MypyLinter().lint(paths: [], root: fixture.root)
            #expect(errors.map(\.code) == ["import-not-found"])
            #expect(errors.first?.url?.hasPrefix("https://mypy.readthedocs.io/") == true)
            #expect(errors.first?.severity == .error)
            let withNotes = try await MypyLinter(includeNotes: true).lint(paths: [], root: fixture.root)
            let note = try #require(withNotes.first { $0.line == 4 })
            #expect(note.severity == .info && note.message.contains("Revealed type"))
        }
    }

    /// One list of paths goes to every linter of a set: mypy must not read a shell script as Python.
    @Test func namedFilesThatAreNotPythonAreLeftOut() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(
                at: dir + "/repo",
                files: [
                    "run.sh": "#!/bin/sh\necho $1\n", "bad.py": "x: int = \"s\"\n",
                ])
            #expect(try await MypyLinter(executable: "/nonexistent/mypy").lint(paths: ["run.sh"], root: fixture.root).isEmpty)
            let diagnostics = try await MypyLinter().lint(paths: ["run.sh", "bad.py"], root: fixture.root)
            #expect(diagnostics.map(\.path) == ["bad.py"] && diagnostics.map(\.code) == ["assignment"])
        }
    }

    @Test func reportsItsVersion() async throws {
        #expect(try await MypyLinter().version().hasPrefix("mypy "))
    }

    /// A stand-in executable plays an old mypy (1.10 has no `-O json`): the version gate must refuse it.
    @Test func aMypyOlderThan1Point11IsRefusedWithTheUpgradeCommand() async throws {
        try await withTemporaryDirectory { dir in
            let script = dir + "/old-mypy"
            try Data("#!/bin/sh\necho 'mypy 1.10.0 (compiled: yes)'\n".utf8).write(to: URL(fileURLWithPath: script))
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
            await #expect {
                _ = try await MypyLinter(executable: script).version()
            } throws: { error in
                guard let error = error as? QualityError else { return false }
                return error.code == .unsupportedVersion && error.message.contains("pip install -U 'mypy>=1.11'")
            }
        }
    }

    @Test func aMissingMypyNamesTheInstallCommand() async throws {
        await #expect {
            _ = try await MypyLinter(executable: "/nonexistent/mypy").lint(paths: [], root: "/")
        } throws: { error in
            guard let error = error as? QualityError else { return false }
            return error.code == .toolMissing && error.message.contains("pip install mypy")
        }
    }

    @Test func hasNoFixCommand() {
        #expect(MypyLinter().fixCommand(path: "a.py", root: "/repo") == nil)
    }
}
