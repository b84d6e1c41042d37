import ArgumentParser
import Foundation
import StomperCore
import StomperLedger

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
        let prepared: PreparedRun
        let bundle: BundleRequest?
        do {
            if let parallel, !(1...64).contains(parallel) {
                throw CLIError.badFlag(flag: "--parallel", value: String(parallel), expected: "is out of range: use 1 to 64")
            }
            let workspace = try global.openWorkspace()
            let resumption = try await workspace.prepareResume(run, parallel: parallel)
            prepared = resumption.run
            // A shard killed before it wrote its bundle writes it now.
            bundle = try await BundleRequest.find(runID: resumption.record.id, ledger: prepared.ledger)
            if !json {
                let record = resumption.record, report = resumption.report
                Terminal.out(
                    "stomper: resuming \(record.id): \(report.plan.jobs.count) files left"
                        + (record.landing == .branch ? " onto \(record.branch) (HEAD untouched)" : "")
                        + (report.reconciled.isEmpty ? "" : ", \(report.reconciled.count) found landed in git history")
                        + (report.repaired.isEmpty ? "" : ", half-finished landing undone (\(report.repaired.joined(separator: ", ")))")
                        + (report.replanned.isEmpty ? "" : ", \(report.replanned.count) re-planned (file changed)"))
            }
        } catch {
            throw Failure.exit(error, json: json)
        }
        var driver = RunDriver(json: json, dryRun: false, useCache: !noCache, color: global.color)
        driver.bundle = bundle
        try await driver.drive(prepared)
    }
}
