import ArgumentParser
import Foundation
import StomperCore
import StomperDocs
import StomperGit

/// `stomper docgen`: regenerate docs on demand, and `stomper docgen status`.
struct Docgen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Regenerate the docs of source files (SHA-256 gated, committed in one docs commit).",
        subcommands: [Generate.self, DocgenStatus.self], defaultSubcommand: Generate.self)

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate",
            abstract: "Regenerate the docs of PATHS (files, or folders: every tracked file in them; default: everything).",
            discussion: """
                Docs describe the files as committed on the current branch. A doc whose first line names \
                the source's SHA-256 is current and left alone. New docs are written atomically and \
                committed together, under the repository-wide IDEMP_DOCS lease.
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: "Files or folders to document (default: the whole repository).") var paths: [String] = []
        @Flag(help: "Print JSON instead of text.") var json = false

        func run() async throws {
            let report: DocgenReport
            do {
                let workspace = try global.openWorkspace()
                // Like `stomper fix`: no paths means the whole repository.
                report = try await workspace.generateDocs(
                    try workspace.repositoryPaths(paths, from: global.startDirectory),
                    ledger: try workspace.openLedger())
            } catch {
                throw Failure.exit(error, json: json)
            }
            if json {
                Terminal.json(DocgenOutput(results: report.results, commit: report.commit?.hex))
            } else {
                for result in report.results where result.status == .error || result.status == .skipped {
                    Terminal.out("\(result.path): \(result.status.rawValue): \(result.reason ?? "")")
                }
                Terminal.out(DocgenOutput.summary(report))
            }
            if report.count(.error) > 0 { throw ExitCode(1) }
        }
    }

    struct DocgenStatus: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "status", abstract: "Show recent docgen results from the ledger.")

        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print JSON instead of a table.") var json = false

        func run() async throws {
            let results: [DocgenResult]
            do {
                let workspace = try global.openWorkspace()
                results = try await workspace.docgenHistory(ledger: try workspace.openLedger())
            } catch {
                throw Failure.exit(error, json: json)
            }
            if json {
                Terminal.json(DocgenOutput(results: results, commit: nil))
                return
            }
            guard !results.isEmpty else {
                Terminal.out("stomper: docgen has not run in this repository yet")
                return
            }
            var table = [["SOURCE", "STATUS", "DOC", "SHA256", "MS", "RUN"]]
            for result in results {
                table.append([
                    result.path, result.status.rawValue, result.docPath, String((result.sourceHash ?? "-").prefix(12)),
                    String(Int(result.durationSeconds * 1000)), result.runID ?? "-",
                ])
            }
            Terminal.out(TextTable.render(table))
        }
    }
}

/// The `--json` form of docgen results (`docgen`, `docgen status`, `fix --json`'s `docs`).
struct DocgenOutput: Encodable {
    var results: [DocgenResult]
    var commit: String?

    /// The closing line of a docgen: results by status and the docs commit.
    static func summary(_ report: DocgenReport) -> String {
        var text =
            "stomper: docs: \(report.count(.generated)) generated, \(report.count(.noop)) unchanged, "
            + "\(report.count(.skipped)) skipped, \(report.count(.error)) failed"
        if let commit = report.commit { text += " (commit \(commit.hex.prefix(12)))" }
        return text
    }
}
