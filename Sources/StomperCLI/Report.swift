import ArgumentParser
import Foundation
import StomperCore
import StomperGit
import StomperLedger
import StomperReport

/// `stomper report [RUN|latest] --html FILE`: the HTML page of a run, from the ledger.
struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a run's HTML report: summary, timeline, per-file diffs and what is left.",
        discussion: """
            Every fix and resume run writes its report to .git/stomper/reports/RUN.html by itself; \
            this command writes it again, anywhere, for any run the ledger remembers. The page is \
            one self-contained file (no script, no external request): open it in a browser.
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The run: `latest` (the default), an id from `stomper runs`, or any unique prefix of one.") var run: String = "latest"
    @Option(help: "Write the HTML report to this file (`-` for standard output).") var html: String?

    func run() async throws {
        do {
            guard let html else {
                throw CLIError.missingOutput(command: "stomper report", flag: "--html FILE (or --html - for standard output)")
            }
            let workspace = try global.openWorkspace()
            let history = try workspace.history()
            let record = try await history.run(run)
            let page = try await RunReportPage.render(record, ledger: history.ledger, repository: workspace.repository)
            if html == "-" {
                Terminal.out(page, terminator: "")
                return
            }
            let path = global.path(html)
            do {
                try Data(page.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                throw CLIError.unwritable(
                    action: "write the HTML report to", path: path, reason: error.localizedDescription,
                    hint: "check the folder exists and is writable")
            }
            Terminal.out("stomper: report of run \(record.id) written to \(path)")
        } catch let error as ExitCode {
            throw error
        } catch {
            throw Failure.exit(error)
        }
    }
}

extension RunDriver {
    /// Writes the run's HTML report beside the ledger; a failure is a warning, not the run's.
    func writeReport(_ runID: String, ledger: Ledger, repository: GitRepository) async -> String? {
        do {
            guard let run = try await ledger.run(runID) else { return nil }
            return try await RunReportPage.writeDefault(run, ledger: ledger, repository: repository)
        } catch {
            Terminal.warn("could not write the run's HTML report: \(error)")
            return nil
        }
    }
}
