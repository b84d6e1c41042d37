import ArgumentParser
import Foundation
import StomperAgents
import StomperCore
import StomperGit
import StomperQuality

struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the diagnostics per file and what `stomper fix` would do with each file.",
        discussion: "Exit status: 0 no diagnostics, 1 diagnostics found, 2 error.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Files or folders to check (default: the whole repository).")
    var paths: [String] = []

    @Flag(help: "Print JSON instead of text (the same as --output-format json).")
    var json = false

    @Option(
        help:
            "text (default), concise (path:line:col: CODE message), json, github (workflow-command annotations), sarif (SARIF 2.1.0) or codequality (GitLab Code Quality)."
    )
    var outputFormat: CheckOutputFormat?

    @Option(help: ArgumentHelp("Show only shard I of N: the files `stomper fix --shard I/N` would take.", valueName: "I/N"))
    var shard: String?

    func run() async throws {
        let result: CheckResult
        let format = try CheckOutputFormat.resolve(outputFormat, json: json)
        do {
            let workspace = try global.openWorkspace()
            let spec = try shard.map { try ShardSpec(parsing: $0) }
            result = try await workspace.check(paths: try workspace.repositoryPaths(paths, from: global.startDirectory), shard: spec)
        } catch {
            throw Failure.exit(error, json: json)
        }
        let plan = result.plan, pipeline = result.pipeline
        let files = CheckFile.verdicts(plan, fixers: result.fixers)
        if try format.printDiagnostics(plan, ci: pipeline.configuration.ci, root: pipeline.repository.workdir) {
            // Only the diagnostics.
        } else if format == .json {
            Terminal.json(
                CheckReport(
                    branch: plan.branch, base: plan.base.hex, toolVersions: plan.toolVersions,
                    files: files, jobs: plan.jobs, skipped: plan.skipped))
        } else {
            // Like ruff: every diagnostic as path:line:col: CODE message ([*]: a fixer of this run
            // can fix it), then the verdict per file and a total.
            for job in plan.jobs {
                let targets = Set(job.diagnostics)
                for diagnostic in (job.diagnostics + job.needsAgent).sorted() {
                    Terminal.out(
                        "\(diagnostic.path.displaySafe):\(diagnostic.line):\(diagnostic.column): \(diagnostic.code.displaySafe)"
                            + "\(targets.contains(diagnostic) ? " [*]" : "") \(diagnostic.message.displaySafe)")
                }
            }
            for outcome in plan.skipped {
                for diagnostic in (outcome.remaining + outcome.needsAgent).sorted() { Terminal.out(diagnostic.displayLine) }
            }
            for file in files { Terminal.out(file.line) }
            let total = files.reduce(0) { $0 + $1.diagnostics }
            let count = { (verdict: CheckFile.Verdict) in files.filter { $0.verdict == verdict }.count }
            Terminal.out(
                "stomper: \(plural(total, "diagnostic")) in \(plural(files.count, "file")): "
                    + "\(count(.fix)) to fix, \(count(.partial)) to fix in part, \(count(.needsAgent)) need an agent, "
                    + "\(count(.skipped)) skipped ([*] = fixable by \(pipeline.agentIdentity.description))")
        }
        if !plan.jobs.isEmpty || !plan.skipped.isEmpty { throw ExitCode(1) }
    }
}

/// What `stomper fix` with the same settings is expected to do with one file.
struct CheckFile: Encodable, Equatable {
    enum Verdict: String, Encodable {
        /// Every diagnostic is one a fixer of the run can fix.
        case fix
        /// Some are; the rest needs an agent.
        case partial
        /// None is: an AI agent is needed.
        case needsAgent = "needs_agent"
        /// Not touched (uncommitted changes, untracked, not a regular file).
        case skipped
    }

    var path: String
    var verdict: Verdict
    var diagnostics: Int
    /// Codes a fixer of the run can fix, with their counts.
    var fixable: [String: Int]
    /// Codes that need an AI agent, with their counts.
    var needsAgent: [String: Int]
    var reason: String?
    var fixers: [String]

    enum CodingKeys: String, CodingKey {
        case path, verdict, diagnostics, fixable, needsAgent = "needs_agent", reason, fixers
    }

    static func verdicts(_ plan: FixPlan, fixers: [String]) -> [CheckFile] {
        func counts(_ list: [Diagnostic]) -> [String: Int] { Dictionary(grouping: list, by: \.code).mapValues(\.count) }
        var files = plan.jobs.map { job in
            CheckFile(
                path: job.path, verdict: job.needsAgent.isEmpty ? .fix : .partial,
                diagnostics: job.diagnostics.count + job.needsAgent.count, fixable: counts(job.diagnostics),
                needsAgent: counts(job.needsAgent), reason: nil, fixers: fixers)
        }
        for outcome in plan.skipped {
            files.append(
                CheckFile(
                    path: outcome.path, verdict: outcome.status == .needsAgent ? .needsAgent : .skipped,
                    diagnostics: outcome.diagnosticsBefore, fixable: [:], needsAgent: counts(outcome.needsAgent),
                    reason: outcome.reason, fixers: fixers))
        }
        return files.sorted { $0.path < $1.path }
    }

    /// `path: verdict …`.
    var line: String {
        func codes(_ counts: [String: Int]) -> String { counts.keys.sorted().joined(separator: ", ") }
        let fixableCount = fixable.values.reduce(0, +)
        let needing = needsAgent.values.reduce(0, +)
        switch verdict {
        case .fix:
            return "\(path.displaySafe): will be fixed: \(plural(fixableCount, "diagnostic")) (\(codes(fixable)))"
        case .partial:
            return "\(path.displaySafe): will be fixed in part: \(plural(fixableCount, "diagnostic")) (\(codes(fixable))); "
                + "\(plural(needing, "diagnostic")) need\(needing == 1 ? "s" : "") an agent (\(codes(needsAgent)))"
        case .needsAgent:
            return "\(path.displaySafe): needs an agent: \(plural(needing, "diagnostic")) (\(codes(needsAgent))); "
                + "try --chain autofix,claude or --agent chat"
        case .skipped:
            return "\(path.displaySafe): skipped: \(reason?.displaySafe ?? "")"
        }
    }
}

struct CheckReport: Encodable {
    var branch: String
    var base: String
    var toolVersions: [String: String]
    var files: [CheckFile]
    var jobs: [FileJob]
    var skipped: [FileOutcome]
}
