import Foundation
import StomperQuality
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct PatternLinterTests {
    static let yamlPattern = #"^(?<file>[^:]+):(?<line>\d+):(?<col>\d+): \[(?<severity>\w+)\] (?<message>.*) \((?<code>[^)]+)\)$"#

    /// Writes an executable shell script at `path`.
    static func script(_ path: String, _ body: String) throws {
        try Data(("#!/bin/sh\n" + body).utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    }

    /// ruff's concise format is `path:line:col: CODE message`: the default pattern must find what the JSON report does.
    @Test func readsRuffConciseOutputWithTheDefaultPattern() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(
                at: dir + "/repo",
                files: [
                    "pyproject.toml": PythonSamples.pyproject, "pkg/a.py": PythonSamples.fixable(1), "b.py": PythonSamples.unfixable(2),
                ])
            let linter = try PatternLinter(
                name: "ruff-concise",
                command: ["ruff", "check", "--no-cache", "--output-format", "concise"])
            let concise = try await linter.lint(paths: [], root: fixture.root)
            let json = try await RuffLinter().lint(paths: [], root: fixture.root)
            #expect(!concise.isEmpty)
            #expect(
                concise.map { "\($0.path):\($0.line):\($0.column) \($0.code)" }.sorted()
                    == json.map { "\($0.path):\($0.line):\($0.column) \($0.code)" }.sorted())
            #expect(concise.allSatisfy { $0.tool == "ruff-concise" && $0.severity == .error })
            let only = try await linter.lint(paths: ["b.py"], root: fixture.root)
            #expect(Set(only.map(\.path)) == ["b.py"])
        }
    }

    /// A yamllint-like tool (`-f parsable`), written here as a script: severity and code groups, `{files}` placement.
    @Test func readsYamllintLikeLinesWithSeverityAndFilesPlaceholder() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["conf.yaml": "key: 1\n", "b.yaml": "x: 2\n"])
            let tool = dir + "/yamlcheck"
            try Self.script(
                tool,
                """
                last=""; for f in "$@"; do last="$f"; done
                [ "$last" = "--strict" ] || { echo "files must come before --strict" >&2; exit 3; }
                for f in "$@"; do
                  [ "$f" = "--strict" ] && continue
                  echo "$f:1:1: [warning] missing document start \\"---\\" (document-start)"
                  echo "$f:2:5: [error] too many spaces after hyphen (hyphens)"
                done
                echo "summary line that does not match"
                exit 1
                """)
            let linter = try PatternLinter(name: "yamlcheck", command: [tool, "{files}", "--strict"], pattern: Self.yamlPattern)
            #expect(linter.arguments(paths: ["a", "b"]) == ["a", "b", "--strict"])
            let diagnostics = try await linter.lint(paths: ["conf.yaml", "b.yaml"], root: fixture.root).sorted()
            #expect(diagnostics.map(\.path) == ["b.yaml", "b.yaml", "conf.yaml", "conf.yaml"])
            let first = diagnostics[0]
            #expect(first.line == 1 && first.column == 1 && first.code == "document-start" && first.severity == .warning)
            #expect(first.message == "missing document start \"---\"")
            #expect(diagnostics[1].code == "hyphens" && diagnostics[1].severity == .error && diagnostics[1].column == 5)
        }
    }

    @Test func zeroBasedColumnsAndMissingGroupsHaveDefaults() async throws {
        try await withTemporaryDirectory { dir in
            let tool = dir + "/zero"
            try Self.script(tool, "echo \"$1:3:0: first column\"\necho \"$1:4: no column here\"\n")
            let linter = try PatternLinter(
                name: "zero", command: [tool],
                pattern: #"^(?<file>[^:]+):(?<line>\d+):(?:(?<col>\d+):)? (?<message>.*)$"#,
                columnBase: 0)
            let diagnostics = try await linter.lint(paths: ["x.txt"], root: dir)
            #expect(diagnostics.map { [$0.line, $0.column] } == [[3, 1], [4, 1]])
            #expect(diagnostics.allSatisfy { $0.code == "zero" && $0.path == "x.txt" && $0.severity == .error })
        }
    }

    @Test func anInvalidPatternIsRejectedAtInit() {
        #expect {
            _ = try PatternLinter(name: "bad", command: ["true"], pattern: "^(?<file>[^:]+:(?<line>\\d+")
        } throws: { ($0 as? QualityError)?.code == .badConfiguration }
        #expect {
            _ = try PatternLinter(name: "bad", command: ["true"], pattern: #"^(?<file>[^:]+):(?<line>\d+)$"#)
        } throws: { ($0 as? QualityError)?.code == .badConfiguration && ($0 as? QualityError)?.message.contains("message") == true }
        #expect {
            _ = try PatternLinter(name: "bad", command: [])
        } throws: { ($0 as? QualityError)?.code == .badConfiguration }
        #expect {
            _ = try PatternLinter(name: "bad", command: ["true"], columnBase: 2)
        } throws: { ($0 as? QualityError)?.code == .badConfiguration }
    }

    @Test func anExitOutsideTheSuccessCodesIsAToolFailureWithStandardError() async throws {
        try await withTemporaryDirectory { dir in
            let tool = dir + "/broken"
            try Self.script(tool, "echo 'config is broken' >&2\nexit 2\n")
            await #expect {
                _ = try await PatternLinter(name: "broken", command: [tool]).lint(paths: [], root: dir)
            } throws: { error in
                guard let error = error as? QualityError else { return false }
                return error.code == .toolFailed && error.exitStatus == 2 && error.standardError == "config is broken"
            }
        }
    }

    @Test func versionComesFromTheVersionCommand() async throws {
        let linter = try PatternLinter(name: "ruff-concise", command: ["ruff", "check"], versionCommand: ["ruff", "--version"])
        #expect(try await linter.version() == (try await RuffLinter().version()))
        #expect(try await PatternLinter(name: "x", command: ["ruff", "check"]).version().contains("ruff check"))
    }
}
