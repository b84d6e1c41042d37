import Foundation

/// The message of a landed fix:
///
///     fix(ruff): src/app.py: fix 3 diagnostics (E711, F401)
///
///     2 diagnostics remain (E501, F821).
///
///     Stomper-Run: run-20261122-101500-1a2b3c4d
///     Stomper-Key: ik:…
///
/// The subject names the tools whose diagnostics the fix removed, not every enabled linter.
public enum CommitMessage {
    public static func make(tools: [String], path: String, fixed: [String: Int], remaining: [String: Int] = [:],
                            runID: String, key: IdempotencyKey) -> String {
        let count = fixed.values.reduce(0, +)
        let codes = fixed.keys.sorted().joined(separator: ", ")
        let noun = count == 1 ? "diagnostic" : "diagnostics"
        let left = remaining.values.reduce(0, +)
        let body = left == 0
            ? ""
            : "\(left) \(left == 1 ? "diagnostic remains" : "diagnostics remain") (\(remaining.keys.sorted().joined(separator: ", "))).\n\n"
        let subjectTools = Set(tools).sorted().joined(separator: ",")
        return """
            fix(\(subjectTools.isEmpty ? "stomper" : subjectTools)): \(path): fix \(count) \(noun) (\(codes))

            \(body)Stomper-Run: \(runID)
            Stomper-Key: \(key.value)

            """
    }

    /// The run named by a `Stomper-Run:` trailer line of `message` (stomper's own fix and docs
    /// commits carry one), or nil.
    public static func runID(in message: String) -> String? {
        for line in message.split(separator: "\n", omittingEmptySubsequences: true).reversed() {
            guard line.hasPrefix("Stomper-Run:") else { continue }
            let value = line.dropFirst("Stomper-Run:".count).trimmingCharacters(in: .whitespaces)
            if !value.isEmpty { return value }
        }
        return nil
    }
}
