import Foundation
import StomperProcess
import StomperTestSupport
import Testing

/// A repository of Python files for end-to-end runs of the built binary.
struct PythonRepository {
    let fixture: GitFixture
    var root: String { fixture.root }

    static func create(at root: String, fixable: Int = 0, unfixable: Int = 0, extra: [String: String] = [:]) async throws -> PythonRepository {
        var files = ["pyproject.toml": PythonSamples.pyproject, ".gitignore": "__pycache__/\n"]
        for index in 0..<fixable { files["src/pkg/fixable_\(index).py"] = PythonSamples.fixable(index) }
        for index in 0..<unfixable { files["src/pkg/unfixable_\(index).py"] = PythonSamples.unfixable(index) }
        files.merge(extra) { $1 }
        return PythonRepository(fixture: try await GitFixture.create(at: root, files: files))
    }

    /// Runs the built stomper here. Docgen after fix runs is off unless the environment turns it
    /// on (`STOMPER_DOCS_ENABLED`), so pipeline tests count only fix commits; DocgenTests cover it.
    /// CI detection is off unless the environment turns it on.
    func stomper(_ arguments: String..., environment: [String: String?] = [:]) async throws -> ProcessResult {
        try await stomper(arguments, environment: environment)
    }

    func stomper(_ arguments: [String], environment: [String: String?] = [:]) async throws -> ProcessResult {
        // STOMPER_CI=0: the tests' runs behave the same on a CI machine (and never write to its job
        // summary); a test about CI passes STOMPER_CI: nil with the CI variables it wants.
        try await StomperBinary.run(
            arguments, in: root,
            environment: ["STOMPER_DOCS_ENABLED": "false", "STOMPER_CI": "0"]
                .merging(environment) { $1 })
    }

    /// Parses the `--json` report of `stomper fix`.
    func report(_ result: ProcessResult) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(result.standardOutput))
        return try #require(object as? [String: Any], "stdout is not a JSON object: \(result.stdoutText) \(result.stderrText)")
    }

    /// path → outcome object from a report.
    func outcomes(_ report: [String: Any]) throws -> [String: [String: Any]] {
        let summary = try #require(report["summary"] as? [String: Any])
        let files = try #require(summary["files"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: files.map { ($0["path"] as! String, $0) })
    }

    func commitCount() async throws -> Int {
        Int(try await fixture.git("rev-list", "--count", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines))!
    }

    func status() async throws -> String {
        try await fixture.git("status", "--porcelain", "--untracked-files=all")
    }

    func ruffIsClean() async throws -> Bool {
        let result = try await ProcessRunner.run(
            ProcessSpec(
                executable: "ruff", arguments: ["check", "--no-cache", "-q", "."],
                workingDirectory: root, timeout: .seconds(120)))
        return result.exitCode == 0
    }

    func worktreeCount() async throws -> Int {
        try await fixture.git("worktree", "list", "--porcelain").components(separatedBy: "\n").filter { $0.hasPrefix("worktree ") }.count
    }
}
