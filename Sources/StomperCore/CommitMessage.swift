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
    public static func make(
        tools: [String], path: String, fixed: [String: Int], remaining: [String: Int] = [:],
        runID: String, key: IdempotencyKey
    ) -> String {
        let count = fixed.values.reduce(0, +)
        let codes = fixed.keys.sorted().joined(separator: ", ")
        let noun = count == 1 ? "diagnostic" : "diagnostics"
        let left = remaining.values.reduce(0, +)
        let body =
            left == 0
            ? ""
            : "\(left) \(left == 1 ? "diagnostic remains" : "diagnostics remain") (\(remaining.keys.sorted().joined(separator: ", "))).\n\n"
        let subjectTools = Set(tools).sorted().joined(separator: ",")
        return """
            fix(\(subjectTools.isEmpty ? "stomper" : subjectTools)): \(path): fix \(count) \(noun) (\(codes))

            \(body)Stomper-Run: \(runID)
            Stomper-Key: \(key.value)

            """
    }

    /// The run named by the `Stomper-Run:` trailer of `message` (stomper's own fix and docs
    /// commits carry one), or nil. Only the trailer block counts — the message's last paragraph,
    /// every line of it a `Token: value` trailer — and the value must be a run id
    /// (`run-YYYYMMDD-HHMMSS-xxxxxxxx`): a line quoted in a body does not make a commit stomper's.
    public static func runID(in message: String) -> String? {
        let paragraphs = message.replacingOccurrences(of: "\r\n", with: "\n")
            .components(separatedBy: "\n\n").map { $0.trimmingCharacters(in: .newlines) }.filter { !$0.isEmpty }
        guard paragraphs.count > 1, let trailers = paragraphs.last else { return nil }
        let lines = trailers.split(separator: "\n").map(String.init)
        guard lines.allSatisfy({ $0.range(of: #"^[A-Za-z0-9-]+: \S"#, options: .regularExpression) != nil }) else { return nil }
        for line in lines.reversed() where line.hasPrefix("Stomper-Run: ") {
            let value = line.dropFirst("Stomper-Run: ".count).trimmingCharacters(in: .whitespaces)
            if value.range(of: #"^run-[0-9]{8}-[0-9]{6}-[0-9a-f]{8}$"#, options: .regularExpression) != nil { return value }
        }
        return nil
    }
}
