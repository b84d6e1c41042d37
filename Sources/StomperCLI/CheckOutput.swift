import ArgumentParser
import Foundation
import StomperCore
import StomperReport

/// `stomper check --output-format`: today's text, ruff-like concise lines, the JSON report,
/// GitHub workflow-command annotations for every diagnostic, SARIF 2.1.0, or a GitLab Code
/// Quality report.
enum CheckOutputFormat: String, CaseIterable, ExpressibleByArgument {
    case text, concise, json, github, sarif, codequality

    /// The format `--output-format` and the older `--json` flag ask for together.
    static func resolve(_ format: CheckOutputFormat?, json: Bool) throws -> CheckOutputFormat {
        switch (format, json) {
        case (nil, false): return .text
        case (nil, true), (.json, _): return .json
        case (let format?, false): return format
        case (let format?, true):
            throw ValidationError("--json is --output-format json; it cannot be combined with --output-format \(format.rawValue)")
        }
    }

    /// Prints the formats that only list diagnostics (concise, github, sarif, codequality); false for text and
    /// json, which `Check` prints itself.
    func printDiagnostics(_ plan: FixPlan, ci: CISettings, root: String) throws -> Bool {
        let planned = LeftDiagnostic.planned(plan)
        switch self {
        case .text, .json:
            return false
        case .concise:
            for line in ConciseReport.lines(planned) { Terminal.out(line) }
        case .github:
            for line in GitHubAnnotations(level: ci.annotationLevel, limit: nil).lines(planned) { Terminal.command(line) }
        case .sarif:
            let data = try SarifReport(toolVersions: plan.toolVersions, root: root).json(planned)
            Terminal.jsonText(String(decoding: data, as: UTF8.self), terminator: "")
        case .codequality:
            Terminal.jsonText(String(decoding: try CodeQualityReport.json(planned), as: UTF8.self), terminator: "")
        }
        return true
    }
}
