import Foundation
import StomperProcess
import StomperQuality
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct RuffFormatLinterTests {
    static let unformatted = "x=1\ny = [1,\n 2]\n"

    @Test func findsUnformattedFilesAndItsFixCommandFormatsThem() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(
                at: dir + "/repo",
                files: [
                    "pkg/a.py": Self.unformatted, "pkg/ok.py": PythonSamples.clean, "top.py": Self.unformatted,
                ])
            let linter = RuffFormatLinter()
            let diagnostics = try await linter.lint(paths: [], root: fixture.root)
            #expect(diagnostics.map(\.path) == ["pkg/a.py", "top.py"])
            #expect(
                diagnostics.allSatisfy {
                    $0.tool == "ruff-format" && $0.code == "unformatted" && $0.line == 1 && $0.column == 1 && $0.fixable
                        && $0.url == "https://docs.astral.sh/ruff/formatter/"
                })

            let fix = try #require(linter.fixCommand(path: "pkg/a.py", root: fixture.root))
            #expect(fix.successExitCodes == [0])
            let result = try await ProcessRunner.run(fix.spec)
            #expect(result.exitCode.map(fix.successExitCodes.contains) == true)
            #expect(try fixture.read("pkg/a.py") == "x = 1\ny = [1, 2]\n")
            #expect(try await linter.lint(paths: [], root: fixture.root).map(\.path) == ["top.py"])
            #expect(try await linter.lint(paths: ["pkg"], root: fixture.root).isEmpty)
        }
    }

    /// A file ruff cannot parse is not "unformatted" (ruff check reports it); the others still count.
    @Test func filesWithSyntaxErrorsAreSkipped() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(
                at: dir + "/repo",
                files: [
                    "a.py": Self.unformatted, "broken.py": "def f(:\n",
                ])
            let diagnostics = try await RuffFormatLinter().lint(paths: [], root: fixture.root)
            #expect(diagnostics.map(\.path) == ["a.py"])
        }
    }

    @Test func namedFilesThatAreNotPythonAreLeftOut() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["run.sh": "#!/bin/sh\necho $1\n", "a.py": Self.unformatted])
            #expect(try await RuffFormatLinter(executable: "/nonexistent/ruff").lint(paths: ["run.sh"], root: fixture.root).isEmpty)
            #expect(try await RuffFormatLinter().lint(paths: ["run.sh", "a.py"], root: fixture.root).map(\.path) == ["a.py"])
        }
    }

    @Test func aMissingFileIsAToolFailure() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.py": "x = 1\n"])
            await #expect {
                _ = try await RuffFormatLinter().lint(paths: ["nope.py"], root: fixture.root)
            } throws: { error in
                guard let error = error as? QualityError else { return false }
                return error.code == .toolFailed && error.message.contains("nope.py")
            }
        }
    }

    @Test func aBadConfigurationIsAToolFailureWithItsStandardError() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(
                at: dir + "/repo",
                files: [
                    "pyproject.toml": "[tool.ruff]\nline-length = \"wide\"\n", "a.py": "x = 1\n",
                ])
            await #expect {
                _ = try await RuffFormatLinter().lint(paths: [], root: fixture.root)
            } throws: { error in
                guard let error = error as? QualityError else { return false }
                return error.code == .toolFailed && error.exitStatus == 2 && !(error.standardError ?? "").isEmpty
            }
        }
    }

    @Test func reportsItsVersionAndNamesTheInstallCommand() async throws {
        #expect(try await RuffFormatLinter().version().hasPrefix("ruff "))
        await #expect {
            _ = try await RuffFormatLinter(executable: "/nonexistent/ruff").lint(paths: [], root: "/")
        } throws: { error in
            (error as? QualityError)?.code == .toolMissing && (error as? QualityError)?.message.contains("pip install ruff") == true
        }
    }
}
