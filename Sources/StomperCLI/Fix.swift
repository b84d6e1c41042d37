import ArgumentParser
import Foundation
import StomperCoordination
import StomperCore
import StomperLedger
import StomperGit
import StomperQuality

struct Fix: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fix files with lint errors: one verified commit per file on the current branch.",
        discussion: """
            Examples:
              stomper fix --parallel 4
              stomper fix src/ --dry-run
              stomper fix --agent command   (with agent.command set in stomper.toml)
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Files or folders to fix (default: the whole repository).")
    var paths: [String] = []

    @Option(name: [.short, .long], help: "Files worked on at once (fix.parallel, default 4).")
    var parallel: Int?

    @Option(help: "The fixer: autofix (the linters' own fixes) or command (agent.command). (fix.agent)")
    var agent: String?

    @Option(help: "Attempts per file (fix.max_attempts).")
    var maxAttempts: Int?

    @Option(help: "Longest one agent attempt may run, in seconds (agent.timeout_sec).")
    var timeout: Int?

    @Flag(help: "Verify fixes and show their diffs, commit nothing.")
    var dryRun = false

    @Flag(help: "Print one JSON report at the end instead of text.")
    var json = false

    @Flag(help: "Do not reuse verified fixes from earlier runs (they are still stored).")
    var noCache = false

    @Flag(help: "Mark an unfinished earlier run as aborted and start a new one.")
    var abandon = false

    var flags: [String: SettingValue] {
        var flags: [String: SettingValue] = [:]
        if let parallel { flags["fix.parallel"] = .int(parallel) }
        if let agent { flags["fix.agent"] = .string(agent) }
        if let maxAttempts { flags["fix.max_attempts"] = .int(maxAttempts) }
        if let timeout { flags["agent.timeout_sec"] = .int(timeout) }
        return flags
    }

    func run() async throws {
        let session: Session
        let pipeline: Pipeline
        let plan: FixPlan
        let ledger: Ledger
        do {
            session = try Session.open(global, flags: flags)
            ledger = try session.openLedger()
            try await RunGate.check(ledger, abandon: abandon, concurrentRunsAllowed: session.configuration.coordination.enabled)
            let selection = try session.repositoryPaths(paths, from: global.startDirectory)
            pipeline = try await session.makePipeline(ledger: ledger)
            plan = try await pipeline.plan(paths: selection)
        } catch {
            throw Failure.exit(error)
        }
        if !json {
            Terminal.out("stomper: \(plan.jobs.count) files to fix on \(plan.branch) (\(plan.skipped.count) skipped), "
                         + "\(session.configuration.maxParallelFiles) at a time, agent \(session.configuration.agent.rawValue)"
                         + (dryRun ? ", dry run" : "") + " (run \(plan.runID))")
        }
        try await RunDriver(json: json, dryRun: dryRun, useCache: !noCache)
            .drive(pipeline, plan: plan, ledger: ledger, recorder: nil, configuration: session.configuration)
    }
}

/// The `--json` report of a fix run.
struct RunReport: Encodable {
    var runID: String
    var branch: String
    var base: String
    var dryRun: Bool
    var agent: String
    var toolVersions: [String: String]
    var elapsedSeconds: Double
    var interrupted: Bool
    var summary: RunSummary
    /// Docs regenerated after the run (nil when docgen did not run).
    var docs: DocgenRun.Output?
}

extension Duration {
    var secondsValue: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

enum SummaryText {
    static func make(_ summary: RunSummary, runID: String, elapsed: Duration, dryRun: Bool) -> String {
        var parts = ["\(summary.count(dryRun ? .wouldFix : .fixed)) \(dryRun ? "would be fixed" : "fixed")"]
        if summary.count(.partiallyFixed) > 0 { parts.append("\(summary.count(.partiallyFixed)) partially fixed") }
        parts.append("\(summary.count(.failed)) failed")
        parts.append("\(summary.count(.skipped)) skipped")
        if !summary.leftToOthers.isEmpty { parts.append("\(summary.leftToOthers.count) left to another writer") }
        let codes = summary.fixedByCode.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " ")
        var text = "stomper: \(summary.total) files: " + parts.joined(separator: ", ")
        text += String(format: "; %d diagnostics fixed%@; %d agent calls; %.1fs (run %@)",
                       summary.diagnosticsFixed, codes.isEmpty ? "" : " (\(codes))", summary.agentCalls,
                       elapsed.secondsValue, runID)
        return text
    }
}
