import Foundation
public import StomperLedger

/// A run named on the command line: `latest`, a full id, or any unique prefix of one (with or
/// without the `run-` at the front), so `stomper show 20261205-0703` works.
public enum RunSelection {
    public static func resolve(_ text: String, ledger: Ledger) async throws -> RunRecord {
        let wanted = text.trimmingCharacters(in: .whitespaces)
        if wanted == "latest" {
            guard let run = try await ledger.runs(limit: 1).first else { throw RunSelectionError(.noRuns, "no runs yet in this repository") }
            return run
        }
        guard !wanted.isEmpty else { throw RunSelectionError(.unknownRun, "an empty run id names no run: use `latest` or an id from `stomper runs`") }
        if let run = try await ledger.run(wanted) { return run }
        let prefix = wanted.hasPrefix("run-") ? wanted : "run-" + wanted
        let matches = try await ledger.runs(limit: Int.max).filter { $0.id.hasPrefix(prefix) || $0.id.hasPrefix(wanted) }
        switch matches.count {
        case 0:
            throw RunSelectionError(.unknownRun, "no run \(wanted) in the ledger: `stomper runs` lists them (or use `latest`)")
        case 1:
            return matches[0]
        default:
            let shown = matches.prefix(10).map(\.id).joined(separator: ", ") + (matches.count > 10 ? ", …" : "")
            throw RunSelectionError(.ambiguousRun, "run id \(wanted) is ambiguous: it starts \(matches.count) runs (\(shown)); type more of it")
        }
    }
}

/// A run id on the command line that names no run, or more than one.
public struct RunSelectionError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        case unknownRun = "unknown_run"
        case ambiguousRun = "ambiguous_run"
        case noRuns = "no_runs"
    }

    public var code: Code
    public var description: String

    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}
