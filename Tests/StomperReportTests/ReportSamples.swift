import Foundation
import StomperCore
import StomperGit
import StomperQuality
import StomperReport

/// A run with every kind of outcome, for the formatters' tests.
enum ReportSamples {
    static let sha1 = String(repeating: "1", count: 40)
    static let sha2 = String(repeating: "2", count: 40)

    static func ruff(
        _ path: String, _ line: Int, _ code: String, _ message: String = "a message", column: Int = 1,
        fixable: Bool = true
    ) -> Diagnostic {
        Diagnostic(
            tool: "ruff", path: path, line: line, column: column, endLine: line, endColumn: column + 3, code: code,
            message: message, fixable: fixable, url: "https://docs.astral.sh/ruff/rules/\(code)")
    }

    /// A job as planning makes it (FileJob has no public memberwise initializer; its coding is public).
    static func job(_ path: String, _ diagnostics: [Diagnostic], needsAgent: [Diagnostic] = []) -> FileJob {
        struct Shape: Encodable {
            var path: String
            var baseBlob: ObjectID
            var diagnostics: [Diagnostic]
            var key: IdempotencyKey
            var needsAgent: [Diagnostic]
        }
        let shape = Shape(
            path: path, baseBlob: ObjectID(hex: String(repeating: "b", count: 40))!, diagnostics: diagnostics,
            key: IdempotencyKey(stored: "key-\(path)"), needsAgent: needsAgent)
        return try! JSONDecoder().decode(FileJob.self, from: JSONEncoder().encode(shape))
    }

    static let mypyError = Diagnostic(
        tool: "mypy", path: "src/typed.py", line: 7, column: 5, code: "assignment",
        message: "Incompatible types in assignment")
    static let failedTarget = ruff("src/c.py", 2, "E711", "Comparison to `None` should be `cond is None`")
    static let needsAgentAfterFix = ruff("src/b.py", 4, "F821", "Undefined name `missing`", fixable: false)
    static let skippedNeedsAgent = ruff("src/e.py", 2, "E741", "Ambiguous variable name: `l`", fixable: false)

    /// a.py fixed, b.py partially fixed (F821 needs an agent), c.py failed (E711), typed.py failed
    /// with an error (mypy), e.py needs an agent (planned so), f.py left to another writer.
    static var facts: RunFacts {
        let plan = FixPlan(
            runID: "run-20260101-000000-abcdef01", branch: "main", base: ObjectID(hex: String(repeating: "a", count: 40))!,
            jobs: [
                job("src/a.py", [ruff("src/a.py", 1, "F401"), ruff("src/a.py", 1, "I001")]),
                job("src/b.py", [ruff("src/b.py", 3, "F401")], needsAgent: [ruff("src/b.py", 5, "F821", "Undefined name `missing`")]),
                job("src/c.py", [failedTarget]),
                job("src/typed.py", [mypyError]),
                job("src/f.py", [ruff("src/f.py", 1, "F401")]),
            ],
            skipped: [],
            toolVersions: ["ruff": "0.17.6", "mypy": "1.18.2"])
        var e = FileOutcome(path: "src/e.py", status: .needsAgent, reason: "needs an agent", diagnosticsBefore: 1)
        e.needsAgent = [skippedNeedsAgent]
        var b = FileOutcome(
            path: "src/b.py", status: .partiallyFixed, commit: ObjectID(hex: sha2), diagnosticsBefore: 2,
            fixed: ["F401": 1], changed: true, attempts: 1, agentCalls: 1)
        b.needsAgent = [needsAgentAfterFix]
        var c = FileOutcome(
            path: "src/c.py", status: .failed, reason: "introduced E999", diagnosticsBefore: 1,
            remaining: [failedTarget], changed: true, attempts: 1, agentCalls: 1)
        c.refusal = .introduced
        var f = FileOutcome(path: "src/f.py", status: .skipped, reason: "being fixed by pid 1: left to it", diagnosticsBefore: 1)
        f.leftTo = "pid 1"
        let summary = RunSummary([
            FileOutcome(
                path: "src/a.py", status: .fixed, commit: ObjectID(hex: sha1), diagnosticsBefore: 2,
                fixed: ["F401": 1, "I001": 1], changed: true, attempts: 1, agentCalls: 1, agentSeconds: 0.25),
            b, c, e, f,
            // Failed with an error: the outcome carries no list, the plan's job does.
            FileOutcome(path: "src/typed.py", status: .failed, reason: "landing failed", diagnosticsBefore: 1),
        ])
        return RunFacts(plan: plan, summary: summary, dryRun: false, elapsedSeconds: 12.34, agent: "autofix")
    }

    static func githubEnvironment(server: Bool = true) -> CIEnvironment {
        var variables = ["CI": "true", "GITHUB_ACTIONS": "true"]
        if server {
            variables["GITHUB_SERVER_URL"] = "https://github.com"
            variables["GITHUB_REPOSITORY"] = "octo/repo"
        }
        return CIEnvironment(environment: variables)
    }
}
