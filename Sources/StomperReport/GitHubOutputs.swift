import StomperCore

/// Step outputs for `$GITHUB_OUTPUT`: `name=value` lines, and the heredoc form
/// (`name<<DELIMITER`, the value, `DELIMITER`) for a value with a line break, whose delimiter is
/// chosen so that it is no line of the value.
public enum GitHubOutputs {
    /// `fixed`, `failed`, `needs_agent`, `commits` (space-separated SHAs), `branch`, plus
    /// `diagnostics_fixed`, `diagnostics_left`, `run_id`, in that order.
    public static func values(_ facts: RunFacts) -> [(String, String)] {
        [
            ("fixed", String(facts.filesFixed)),
            ("failed", String(facts.summary.count(.failed))),
            ("needs_agent", String(facts.summary.filesNeedingAgent)),
            ("commits", facts.commits.map(\.sha).joined(separator: " ")),
            ("branch", facts.plan.branch),
            ("diagnostics_fixed", String(facts.summary.diagnosticsFixed)),
            ("diagnostics_left", String(facts.left.count)),
            ("run_id", facts.plan.runID),
        ]
    }

    /// The text to append to the file, ending with a newline.
    public static func text(_ values: [(String, String)]) -> String {
        values.map { entry(name: $0.0, value: $0.1) }.joined()
    }

    static func entry(name: String, value: String) -> String {
        guard value.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else { return "\(name)=\(value)\n" }
        var delimiter = "STOMPER_EOF"
        var counter = 0
        while value.contains(delimiter) {
            counter += 1
            delimiter = "STOMPER_EOF_\(counter)"
        }
        return "\(name)<<\(delimiter)\n\(value)\n\(delimiter)\n"
    }
}
