public import StomperQuality

/// What the linters said about a source file when its doc was generated.
public struct LintStatus: Sendable, Hashable, Codable {
    public var diagnostics: [Diagnostic]
    /// The linters that checked the file (`ruff`); empty when none did.
    public var linters: [String]

    /// Diagnostics are kept sorted, so equal statuses render the same text.
    public init(diagnostics: [Diagnostic] = [], linters: [String] = []) {
        self.diagnostics = diagnostics.sorted()
        self.linters = linters
    }

    /// One line: `not linted`, `clean (ruff)`, `1 diagnostic: F401` or
    /// `3 diagnostics: E501 ×2, F401` (codes by count, then name).
    public var summary: String {
        if diagnostics.isEmpty {
            return linters.isEmpty ? "not linted" : "clean (\(linters.joined(separator: ", ")))"
        }
        let counts = Dictionary(grouping: diagnostics, by: \.code).mapValues(\.count)
        let codes = counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
            .map { $0.value > 1 ? "\($0.key) ×\($0.value)" : $0.key }
        let noun = diagnostics.count == 1 ? "diagnostic" : "diagnostics"
        return "\(diagnostics.count) \(noun): " + codes.joined(separator: ", ")
    }
}
