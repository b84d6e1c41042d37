/// The message of a landed fix:
///
///     fix(ruff): src/app.py: fix 3 diagnostics (E711, F401)
///
///     Stomper-Run: run-20261122-101500-1a2b3c4d
///     Stomper-Key: ik:…
public enum CommitMessage {
    public static func make(tool: String, path: String, fixed: [String: Int], runID: String, key: IdempotencyKey) -> String {
        let count = fixed.values.reduce(0, +)
        let codes = fixed.keys.sorted().joined(separator: ", ")
        let noun = count == 1 ? "diagnostic" : "diagnostics"
        return """
            fix(\(tool)): \(path): fix \(count) \(noun) (\(codes))

            Stomper-Run: \(runID)
            Stomper-Key: \(key.value)

            """
    }
}
