import ArgumentParser
import Foundation
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

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() async throws {
        let plan: FixPlan
        do {
            let session = try Session.open(global, flags: [:])
            let selection = try session.repositoryPaths(paths, from: global.startDirectory)
            let pipeline = try await session.makePipeline(ledger: nil)
            plan = try await pipeline.plan(paths: selection)
        } catch {
            throw Failure.exit(error)
        }
        if json {
            Terminal.json(CheckReport(branch: plan.branch, base: plan.base.hex, toolVersions: plan.toolVersions,
                                      jobs: plan.jobs, skipped: plan.skipped))
        } else {
            for job in plan.jobs {
                let fixable = job.diagnostics.filter(\.fixable).count
                Terminal.out("\(job.path): \(job.diagnostics.count) diagnostics, \(fixable) autofixable — would be fixed")
                for diagnostic in job.diagnostics {
                    Terminal.out("    \(diagnostic.line):\(diagnostic.column) \(diagnostic.code)\(diagnostic.fixable ? " [*]" : "") \(diagnostic.message)")
                }
            }
            for outcome in plan.skipped {
                Terminal.out("\(outcome.path): \(outcome.diagnosticsBefore) diagnostics — skipped: \(outcome.reason ?? "")")
            }
            let total = plan.jobs.reduce(0) { $0 + $1.diagnostics.count } + plan.skipped.reduce(0) { $0 + $1.diagnosticsBefore }
            Terminal.out("stomper: \(total) diagnostics in \(plan.jobs.count + plan.skipped.count) files; "
                         + "\(plan.jobs.count) files to fix, \(plan.skipped.count) skipped ([*] = autofixable)")
        }
        if !plan.jobs.isEmpty || !plan.skipped.isEmpty { throw ExitCode(1) }
    }
}

struct CheckReport: Encodable {
    var branch: String
    var base: String
    var toolVersions: [String: String]
    var jobs: [FileJob]
    var skipped: [FileOutcome]
}
