import Foundation
import StomperCore
import StomperReport

/// The CI side of `fix`, `resume` and `check`: what the environment says about the CI system, and
/// the reports written for it. The formatting is StomperReport's; this only decides what goes
/// where and writes it.
struct CIReporting: Sendable {
    let ci: CIEnvironment
    let settings: CISettings

    /// The CI system this process runs under, from its environment.
    static var environment: CIEnvironment { CIEnvironment(environment: ProcessInfo.processInfo.environment) }

    init(ci: CIEnvironment = CIReporting.environment, settings: CISettings) {
        self.ci = ci
        self.settings = settings
    }

    /// Prints a file's progress text: in GitHub Actions its detail lines are folded in a group.
    func printProgress(_ text: String) {
        if ci.isGitHubActions {
            Terminal.command(WorkflowCommand.grouped(text))
        } else {
            Terminal.out(text)
        }
    }

    /// After a run: in GitHub Actions the capped annotations on stdout (not with `--json`, whose
    /// stdout is the report), the job summary appended to `$GITHUB_STEP_SUMMARY` and the outputs
    /// appended to `$GITHUB_OUTPUT`; then the report files asked for. A file that cannot be
    /// written is an error (exit 2 from the caller), after the others were tried.
    func finish(_ facts: RunFacts, json: Bool, files: ReportFiles, root: String) -> [String] {
        var problems: [String] = []
        if ci.isGitHubActions {
            if !json {
                let annotations = GitHubAnnotations(level: settings.annotationLevel, limit: settings.annotationLimit)
                for line in annotations.lines(facts.left) { Terminal.command(line) }
            }
            if let path = ci["GITHUB_STEP_SUMMARY"] {
                problems += Self.append(JobSummary(ci: ci).markdown(facts), to: path, what: "the job summary ($GITHUB_STEP_SUMMARY)")
            }
            if let path = ci["GITHUB_OUTPUT"] {
                problems += Self.append(GitHubOutputs.text(GitHubOutputs.values(facts)), to: path, what: "the step outputs ($GITHUB_OUTPUT)")
            }
        }
        problems += files.write(facts.left, toolVersions: facts.plan.toolVersions, root: root)
        return problems
    }

    /// Appends `text` to the file at `path`, creating it if missing (GitHub creates it; a local
    /// test may not). Returns the problem, if any.
    static func append(_ text: String, to path: String, what: String) -> [String] {
        let data = Data(text.utf8)
        if !FileManager.default.fileExists(atPath: path) {
            return FileManager.default.createFile(atPath: path, contents: data) ? [] : ["cannot create \(what) at \(path)"]
        }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: data)
            return []
        } catch {
            return ["cannot append \(what) to \(path): \(error.localizedDescription)"]
        }
    }
}

/// Report files asked for on the command line (`fix --sarif FILE --codequality FILE`).
struct ReportFiles: Sendable {
    var sarif: String?
    var codeQuality: String?

    /// Writes each report asked for (replacing the file). Returns the problems.
    func write(_ left: [LeftDiagnostic], toolVersions: [String: String], root: String) -> [String] {
        var problems: [String] = []
        func save(_ path: String, _ what: String, _ make: () throws -> Data) {
            do {
                try make().write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                problems.append("cannot write the \(what) to \(path): \(error.localizedDescription)")
            }
        }
        if let sarif { save(sarif, "SARIF report") { try SarifReport(toolVersions: toolVersions, root: root).json(left) } }
        if let codeQuality { save(codeQuality, "Code Quality report") { try CodeQualityReport.json(left) } }
        return problems
    }
}
