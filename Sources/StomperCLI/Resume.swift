import ArgumentParser
import Foundation
import StomperCore
import StomperLedger
import StomperProcess

struct Resume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Finish an interrupted run: nothing done twice, nothing lost.",
        discussion: """
            Reconciles the ledger with git history first (a commit carrying a job's Stomper-Key \
            trailer means that job landed), undoes a landing the dead process left half-written, \
            re-plans files that changed since the run started, removes its leftover worktrees, \
            then continues the remaining files with the run's own settings.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The run to resume: an id, any unique prefix of one, or `latest` (default: the latest unfinished run).")
    var run: String?

    @Option(name: [.short, .long], help: "Files worked on at once (does not change results).")
    var parallel: Int?

    @Flag(help: "Print one JSON report at the end instead of text.")
    var json = false

    @Flag(help: "Do not reuse verified fixes from earlier runs.")
    var noCache = false

    func run() async throws {
        let pipeline: Pipeline
        let report: ResumeReport
        let ledger: Ledger
        let configuration: StomperConfiguration
        do {
            let session = try Session.open(global, flags: [:])
            ledger = try session.openLedger()
            let record = try await Self.findRun(run, ledger: ledger)
            var stored = try StomperConfiguration.decodeStored(record.configJSON).resuming(with: session.configuration)
            if let parallel {
                guard (1...64).contains(parallel) else { throw ConfigError("--parallel \(parallel) is out of range: use 1 to 64") }
                stored.maxParallelFiles = parallel
            }
            configuration = stored
            let resumed = Session(repository: session.repository, resolved: ResolvedConfiguration(configuration: stored),
                                  logger: session.logger)
            let versions = (try? JSONDecoder().decode([String: String].self, from: Data(record.toolVersions.utf8))) ?? [:]
            pipeline = try await resumed.makePipeline(ledger: ledger, toolVersions: versions, contained: true)
            report = try await pipeline.prepareResume(of: record, ledger: ledger)
            if !json {
                Terminal.out("stomper: resuming \(record.id): \(report.plan.jobs.count) files left"
                             + (record.landing == .branch ? " onto \(record.branch) (HEAD untouched)" : "")
                             + (report.reconciled.isEmpty ? "" : ", \(report.reconciled.count) found landed in git history")
                             + (report.repaired.isEmpty ? "" : ", half-finished landing undone (\(report.repaired.joined(separator: ", ")))")
                             + (report.replanned.isEmpty ? "" : ", \(report.replanned.count) re-planned (file changed)"))
            }
        } catch {
            throw Failure.exit(error, json: json)
        }
        try await RunDriver(json: json, dryRun: false, useCache: !noCache, color: global.color)
            .drive(pipeline, plan: report.plan, ledger: ledger, recorder: report.recorder, configuration: configuration)
    }

    static func findRun(_ id: String?, ledger: Ledger) async throws -> RunRecord {
        let record: RunRecord
        if let id {
            record = try await RunSelection.resolve(id, ledger: ledger)
        } else {
            // Runs of live processes are running beside this one, not waiting to be resumed.
            let candidates = try await ledger.unfinishedRuns().filter { run in
                !(run.status == .running && ProcessLiveness.isAlive(pid: run.pid, host: run.host))
            }
            guard let found = candidates.first else {
                throw ConfigError("nothing to resume: no unfinished run of a stopped process (`stomper runs` lists them)")
            }
            record = found
        }
        guard record.status.isUnfinished else {
            throw ConfigError("run \(record.id) is \(record.status.rawValue); only running or interrupted runs can be resumed")
        }
        guard !record.dryRun else {
            throw ConfigError("run \(record.id) was a dry run; start a new one with `stomper fix --abandon --dry-run`")
        }
        if record.status == .running, record.pid != getpid(), ProcessLiveness.isAlive(pid: record.pid, host: record.host) {
            throw ConfigError("run \(record.id) is still in progress (pid \(record.pid) on \(record.host))")
        }
        return record
    }
}
