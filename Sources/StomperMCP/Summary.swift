import Foundation
import MCP

/// The text half of each tool's answer: a line or two a person (or a model) reads, from the
/// structured document it accompanies.
enum Summary {
    static func int(_ value: Value?) -> Int { value?.intValue ?? value?.doubleValue.map { Int($0) } ?? 0 }

    static func check(_ report: Value) -> String {
        let files = report.objectValue?["files"]?.arrayValue ?? []
        guard !files.isEmpty else { return "No diagnostics." }
        var verdicts: [String: Int] = [:]
        var diagnostics = 0
        for file in files {
            verdicts[file.objectValue?["verdict"]?.stringValue ?? "?", default: 0] += 1
            diagnostics += int(file.objectValue?["diagnostics"])
        }
        let parts = ["fix", "partial", "needs_agent", "skipped"].compactMap { verdict in
            verdicts[verdict].map { "\($0) \(verdict.replacingOccurrences(of: "_", with: " "))" }
        }
        return "\(diagnostics) diagnostics in \(files.count) files: \(parts.joined(separator: ", "))."
    }

    static func run(_ state: Value) -> String {
        guard let run = state.objectValue, let id = run["id"]?.stringValue else { return "No run." }
        let status = run["status"]?.stringValue ?? "?"
        let jobs = run["jobs"]?.objectValue ?? [:]
        let counts = ["landed", "would_fix", "failed", "skipped", "running", "planned"].compactMap { key -> String? in
            let count = int(jobs[key])
            return count > 0 ? "\(count) \(key.replacingOccurrences(of: "_", with: " "))" : nil
        }
        let dryRun = run["dry_run"]?.boolValue == true ? " (dry run)" : ""
        return "Run \(id)\(dryRun) is \(status): \(int(jobs["total"])) files" + (counts.isEmpty ? "." : ", " + counts.joined(separator: ", ") + ".")
    }

    static func runs(_ list: Value) -> String {
        let runs = list.arrayValue ?? []
        guard let latest = runs.first?.objectValue else { return "No runs yet." }
        return "\(runs.count) runs; the latest is \(latest["id"]?.stringValue ?? "?") (\(latest["status"]?.stringValue ?? "?"))."
    }

    static func locks(_ document: Value) -> String {
        let leases = document.objectValue?["leases"]?.arrayValue ?? []
        guard !leases.isEmpty else { return "No leases are held." }
        let listed = leases.prefix(10).map { lease -> String in
            let object = lease.objectValue ?? [:]
            let id = object["holder"]?.objectValue?["id"]?.stringValue ?? "?"
            // A client's claim keeps its name in the holder id (`client:NAME#UUID`).
            let holder = id.hasPrefix("client:") ? String(id.dropFirst(7).prefix { $0 != "#" }) : id
            return "\(object["resource"]?.stringValue ?? "?") by \(holder) (token \(int(object["token"])))"
        }
        return "\(leases.count) leases: " + listed.joined(separator: "; ") + (leases.count > 10 ? "; …" : ".")
    }

    static func stats(_ document: Value) -> String {
        guard let object = document.objectValue else { return "No statistics." }
        return "Statistics of \(object.keys.sorted().joined(separator: ", ")); see the structured content."
    }

    static func docgen(_ document: Value) -> String {
        let results = document.objectValue?["results"]?.arrayValue ?? []
        let commit = document.objectValue?["commit"]?.stringValue.map { " in commit \($0.prefix(12))" } ?? ""
        return "\(results.count) docgen results\(commit)."
    }

    static func fix(_ report: Value) -> String {
        guard let object = report.objectValue else { return "The run ended." }
        if object["guarded"] != nil { return "Nothing done: HEAD is stomper's own commit (CI loop guard)." }
        let summary = object["summary"]?.objectValue ?? [:]
        let parts = ["fixed", "would_fix", "partially_fixed", "failed", "skipped", "not_started", "needs_agent"].compactMap { key -> String? in
            let count = int(summary[key])
            return count > 0 ? "\(count) \(key.replacingOccurrences(of: "_", with: " "))" : nil
        }
        let run = object["run_id"]?.stringValue ?? "the run"
        let interrupted = object["interrupted"]?.boolValue == true ? " (interrupted: `stomper resume` finishes it)" : ""
        return "Run \(run) ended\(interrupted): " + (parts.isEmpty ? "nothing to do." : parts.joined(separator: ", ") + ".")
    }
}

/// `check`'s `codes`: the report narrowed to diagnostics whose code starts with one of the
/// prefixes, each file's counts and verdict recomputed from what is left.
enum CheckFilter {
    static func only(_ prefixes: [String], in report: Value) -> Value {
        guard var object = report.objectValue, let files = object["files"]?.arrayValue else { return report }
        func keep(_ counts: Value?) -> [String: Value] {
            (counts?.objectValue ?? [:]).filter { code, _ in prefixes.contains { code.hasPrefix($0) } }
        }
        object["files"] = .array(
            files.compactMap { file -> Value? in
                guard var entry = file.objectValue else { return nil }
                let fixable = keep(entry["fixable"])
                let needsAgent = keep(entry["needs_agent"])
                let total = (fixable.values.map { Summary.int($0) }).reduce(0, +) + needsAgent.values.map { Summary.int($0) }.reduce(0, +)
                guard total > 0 else { return nil }
                entry["fixable"] = .object(fixable)
                entry["needs_agent"] = .object(needsAgent)
                entry["diagnostics"] = .int(total)
                if entry["verdict"]?.stringValue != "skipped" {
                    entry["verdict"] = .string(needsAgent.isEmpty ? "fix" : fixable.isEmpty ? "needs_agent" : "partial")
                }
                return .object(entry)
            })
        if let jobs = object["jobs"]?.arrayValue {
            let kept = Set((object["files"]?.arrayValue ?? []).compactMap { $0.objectValue?["path"]?.stringValue })
            object["jobs"] = .array(
                jobs.compactMap { job -> Value? in
                    guard var entry = job.objectValue, kept.contains(entry["path"]?.stringValue ?? "") else { return nil }
                    if let diagnostics = entry["diagnostics"]?.arrayValue {
                        entry["diagnostics"] = .array(
                            diagnostics.filter { diagnostic in
                                let code = diagnostic.objectValue?["code"]?.stringValue ?? ""
                                return prefixes.contains { code.hasPrefix($0) }
                            })
                    }
                    return .object(entry)
                })
        }
        return .object(object)
    }
}
