import ArgumentParser
import Foundation
import StomperCore

/// `stomper doctor`: checks what a run needs, each check ok, a warning or a problem with the
/// command that fixes it. Exit 1 when a check found a problem.
struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check git, libgit2, the linters, the agent and its credentials, the sandbox and the ledger.",
        discussion: "Prints each check as ok, warning or problem, with the command that fixes a problem. "
            + "Exit status: 0 nothing is wrong (warnings allowed), 1 a problem was found, 2 not a git repository.")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print JSON: {ok, checks: [{name, status, detail, fix}]}.")
    var json = false

    func run() async throws {
        let report: EnvironmentCheck.Report
        do {
            report = try await EnvironmentCheck.run(
                at: global.startDirectory, configFile: global.config,
                environment: ProcessInfo.processInfo.environment, describe: Failure.message)
        } catch {
            throw Failure.exit(error)
        }
        for warning in report.warnings { Terminal.warn(warning) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            Terminal.jsonText(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            for check in report.checks {
                Terminal.out(check.status.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0) + "\(check.name): \(check.detail)")
                if let fix = check.fix { Terminal.out("         fix: \(fix)") }
            }
        }
        if !report.ok { throw ExitCode(1) }
    }
}
