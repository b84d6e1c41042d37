import Foundation
import StomperDocs

/// Generates an outline of `source` and returns the whole body plus its `## Outline` bullet lines.
func outline(_ source: String, path: String, lint: LintStatus = LintStatus(linters: ["ruff"])) throws -> (body: String, entries: [String]) {
    let request = DocRequest(path: path, source: Array(source.utf8), lintStatus: lint, workdir: "/repo")
    let body = try OutlineGenerator().body(for: request)
    let section = body.components(separatedBy: "## Outline\n").last ?? ""
    let entries = section.split(separator: "\n").filter { $0.hasPrefix("- ") }.map { String($0.dropFirst(2)) }
    return (body, entries)
}
