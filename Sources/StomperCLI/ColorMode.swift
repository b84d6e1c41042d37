import ArgumentParser
import Foundation
import StomperCore

/// `--color auto|always|never`: whether result lines colour their status.
enum ColorMode: String, CaseIterable, ExpressibleByArgument, Sendable {
    case auto, always, never

    /// Whether to colour: `always` and `never` say so; `auto` colours a live terminal display
    /// only (never CI logs, pipes or `--json`), and not when `NO_COLOR` is set to anything
    /// (https://no-color.org) or `TERM=dumb`.
    func enabled(live: Bool, environment: [String: String]) -> Bool {
        switch self {
        case .always: return true
        case .never: return false
        case .auto:
            guard live, (environment["NO_COLOR"] ?? "").isEmpty else { return false }
            return environment["TERM"] != "dumb"
        }
    }
}

/// The SGR colours of a result line's status label.
enum StatusColor {
    static func code(_ status: FileOutcome.Status, refused: Bool) -> String {
        if refused { return "31" }
        switch status {
        case .fixed: return "32"
        case .partiallyFixed: return "33"
        case .wouldFix: return "36"
        case .failed: return "31"
        case .needsAgent: return "35"
        case .skipped: return "2"
        }
    }

    /// `text` in the status's colour (SGR on, text, reset). Only for text already made
    /// `displaySafe`: the escape codes are added after it.
    static func paint(_ text: String, _ status: FileOutcome.Status, refused: Bool) -> String {
        "\u{1B}[\(code(status, refused: refused))m" + text + "\u{1B}[0m"
    }
}
