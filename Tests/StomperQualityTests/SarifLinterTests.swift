import Foundation
import StomperProcess
import StomperQuality
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct SarifLinterTests {
    static let ruffSarif = ["ruff", "check", "--no-cache", "--output-format", "sarif", "."]

    static func repository(in dir: String) async throws -> GitFixture {
        try await GitFixture.create(
            at: dir + "/repo",
            files: [
                "pyproject.toml": PythonSamples.pyproject,
                "pkg/a.py": PythonSamples.fixable(1),
                "pkg/b.py": PythonSamples.unfixable(2),
                "my file.py": "import os\n",
            ])
    }

    /// The positions a diagnostic has, without tool name, message or fixability.
    static func positions(_ diagnostics: [Diagnostic]) -> [String] {
        diagnostics.sorted().map { "\($0.path):\($0.line):\($0.column)-\($0.endLine ?? 0):\($0.endColumn ?? 0) \($0.code)" }
    }

    /// ruff's SARIF must give the same findings as its JSON report, with percent-encoded URIs decoded.
    @Test func readsRealRuffSarifFromACommand() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await Self.repository(in: dir)
            let linter = SarifLinter(name: "ruff-sarif", source: .command(Self.ruffSarif))
            let sarif = try await linter.lint(paths: [], root: fixture.root)
            let json = try await RuffLinter().lint(paths: [], root: fixture.root)
            #expect(!sarif.isEmpty)
            #expect(Self.positions(sarif) == Self.positions(json))
            #expect(sarif.contains { $0.path == "my file.py" && $0.code == "F401" })
            #expect(sarif.allSatisfy { $0.tool == "ruff-sarif" && $0.severity == .error && !$0.fixable })
            #expect(sarif.first { $0.code == "F401" }?.url == "https://docs.astral.sh/ruff/rules/unused-import")
        }
    }

    @Test func readsRealRuffSarifFromAFileAndFiltersByPath() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await Self.repository(in: dir)
            let report = dir + "/report.sarif"
            let written = try await ProcessRunner.run(
                ProcessSpec(
                    executable: "ruff", arguments: ["check", "--no-cache", "--output-format", "sarif", "-o", report, "."],
                    workingDirectory: fixture.root, timeout: .seconds(120)))
            #expect(written.exitCode == 1)
            let linter = SarifLinter(name: "ruff-report", source: .file(report))
            let all = try await linter.lint(paths: [], root: fixture.root)
            let json = try await RuffLinter().lint(paths: [], root: fixture.root)
            #expect(Self.positions(all) == Self.positions(json))
            #expect(Set(try await linter.lint(paths: ["pkg/"], root: fixture.root).map(\.path)) == ["pkg/a.py", "pkg/b.py"])
            #expect(Set(try await linter.lint(paths: ["./pkg/b.py"], root: fixture.root).map(\.path)) == ["pkg/b.py"])
            #expect(try await linter.lint(paths: ["pk"], root: fixture.root).isEmpty)
            let version = try await linter.version()
            let ruffVersion = try await RuffLinter().version()
            #expect(version == ruffVersion)

            // A path relative to the root works the same.
            try FileManager.default.copyItem(atPath: report, toPath: fixture.root + "/out.sarif")
            let relative = SarifLinter(name: "ruff-report", source: .file("out.sarif"))
            #expect(Self.positions(try await relative.lint(paths: [], root: fixture.root)) == Self.positions(json))
        }
    }

    @Test func aMissingReportNamesThePathAndTheSetting() async throws {
        try await withTemporaryDirectory { dir in
            await #expect {
                _ = try await SarifLinter(name: "scan", source: .file("reports/none.sarif")).lint(paths: [], root: dir)
            } throws: { error in
                guard let error = error as? QualityError else { return false }
                return error.code == .inputMissing && error.message.contains(dir + "/reports/none.sarif")
                    && error.message.contains("quality.sarif")
            }
        }
    }

    @Test func aReportThatIsNotSarifOrHasAnotherVersionIsRefused() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await Self.repository(in: dir)
            try fixture.write(["notes.txt": "not json at all\n"])
            await #expect {
                _ = try await SarifLinter(name: "scan", source: .file("notes.txt")).lint(paths: [], root: fixture.root)
            } throws: { ($0 as? QualityError)?.code == .unreadableOutput }

            let real = try await ProcessRunner.run(
                ProcessSpec(
                    executable: "ruff", arguments: Array(Self.ruffSarif.dropFirst()),
                    workingDirectory: fixture.root, timeout: .seconds(120)))
            let log = try #require(try JSONSerialization.jsonObject(with: Data(real.standardOutput)) as? [String: Any])
            #expect(log["version"] as? String == "2.1.0")
            var older = log
            older["version"] = "2.0.0"
            try JSONSerialization.data(withJSONObject: older).write(to: URL(fileURLWithPath: fixture.root + "/old.sarif"))
            await #expect {
                _ = try await SarifLinter(name: "scan", source: .file("old.sarif")).lint(paths: [], root: fixture.root)
            } throws: { error in
                guard let error = error as? QualityError else { return false }
                return error.code == .unsupportedVersion && error.message.contains("2.0.0") && error.message.contains("2.1.0")
            }
        }
    }

    /// Results without a location cannot be attached to a file; a missing level means warning.
    @Test func resultsWithoutALocationAreDroppedAndLevelsMap() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await Self.repository(in: dir)
            let real = try await ProcessRunner.run(
                ProcessSpec(
                    executable: "ruff", arguments: Array(Self.ruffSarif.dropFirst()),
                    workingDirectory: fixture.root, timeout: .seconds(120)))
            var log = try #require(try JSONSerialization.jsonObject(with: Data(real.standardOutput)) as? [String: Any])
            var runs = try #require(log["runs"] as? [[String: Any]])
            var results = try #require(runs[0]["results"] as? [[String: Any]])
            let count = results.count
            #expect(count >= 4)
            results[0]["locations"] = nil
            results[1]["level"] = nil
            results[2]["level"] = "note"
            runs[0]["results"] = results
            log["runs"] = runs
            let linter = SarifLinter(name: "scan", source: .file("edited.sarif"))
            try JSONSerialization.data(withJSONObject: log).write(to: URL(fileURLWithPath: fixture.root + "/edited.sarif"))
            let parsed = try await linter.lint(paths: [], root: fixture.root)
            #expect(parsed.count == count - 1)
            #expect(parsed.filter { $0.severity == .warning }.count == 1)
            #expect(parsed.filter { $0.severity == .info }.count == 1)
        }
    }

    @Test func aCommandExitOutsideTheSuccessCodesIsAToolFailure() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await Self.repository(in: dir)
            await #expect {
                _ = try await SarifLinter(name: "scan", source: .command(Self.ruffSarif), successExitCodes: [0])
                    .lint(paths: [], root: fixture.root)
            } throws: { ($0 as? QualityError)?.code == .toolFailed && ($0 as? QualityError)?.exitStatus == 1 }
        }
    }

    @Test func versionComesFromTheVersionCommandOrNamesTheCommand() async throws {
        let ruffVersion = try await RuffLinter().version()
        let withCommand = SarifLinter(name: "scan", source: .command(Self.ruffSarif), versionCommand: ["ruff", "--version"])
        #expect(try await withCommand.version() == ruffVersion)
        let without = SarifLinter(name: "scan", source: .command(Self.ruffSarif))
        #expect(try await without.version().contains("ruff check --no-cache --output-format sarif ."))
    }
}
