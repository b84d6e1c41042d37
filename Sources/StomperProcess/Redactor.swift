import Foundation

/// Removes secret values (API keys, tokens, passwords) from text before it is stored or shown.
///
/// A secret is the value of an environment variable whose name says it is one (`…KEY`, `…TOKEN`,
/// `…SECRET`, `…PASSWORD`, `…CREDENTIALS`) and that is long enough not to match by accident.
/// Agents get these variables; whatever they print is redacted before it reaches the ledger, a
/// report or the terminal.
public struct Redactor: Sendable {
    public static let replacement = "[redacted]"
    private let secrets: [String]

    public init(environment: [String: String]) {
        let markers = ["KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "AUTH"]
        secrets = environment.compactMap { name, value in
            let upper = name.uppercased()
            guard value.count >= 6, markers.contains(where: { upper.contains($0) }) else { return nil }
            return value
        }.sorted { $0.count > $1.count }
    }

    /// The process's own environment, read once.
    public static let process = Redactor(environment: ProcessInfo.processInfo.environment)

    public func redact(_ text: String) -> String {
        secrets.reduce(text) { $0.replacingOccurrences(of: $1, with: Self.replacement) }
    }
}
