/// One finding of a linter or type checker, in the same shape whatever tool produced it.
///
/// Positions are 1-based; `endLine`/`endColumn` are exclusive when the tool reports them.
/// `path` is relative to the repository root, slash-separated.
public struct Diagnostic: Sendable, Hashable, Codable, Comparable {
    public enum Severity: String, Sendable, Hashable, Codable, Comparable {
        case error, warning, info, note

        private var rank: Int {
            switch self {
            case .error: return 0
            case .warning: return 1
            case .info: return 2
            case .note: return 3
            }
        }

        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
    }

    /// The tool that reported it (`ruff`).
    public var tool: String
    public var path: String
    public var line: Int
    public var column: Int
    public var endLine: Int?
    public var endColumn: Int?
    /// The rule code (`F401`), or the tool's name for a finding without a code (`invalid-syntax`).
    public var code: String
    public var message: String
    public var severity: Severity
    /// Whether the tool's own autofix can remove it with the current settings.
    public var fixable: Bool
    /// Documentation of the rule, when the tool gives one.
    public var url: String?

    public init(
        tool: String, path: String, line: Int, column: Int, endLine: Int? = nil, endColumn: Int? = nil,
        code: String, message: String, severity: Severity = .error, fixable: Bool = false, url: String? = nil
    ) {
        self.tool = tool
        self.path = path
        self.line = line
        self.column = column
        self.endLine = endLine
        self.endColumn = endColumn
        self.code = code
        self.message = message
        self.severity = severity
        self.fixable = fixable
        self.url = url
    }

    /// Order: path, position, code, message. Deterministic, so sorted lists hash the same everywhere.
    public static func < (lhs: Diagnostic, rhs: Diagnostic) -> Bool {
        (lhs.path, lhs.line, lhs.column, lhs.code, lhs.message, lhs.tool)
            < (rhs.path, rhs.line, rhs.column, rhs.code, rhs.message, rhs.tool)
    }

    /// `path:line:col: CODE message`, the format every editor understands.
    public var formatted: String {
        "\(path):\(line):\(column): \(code) \(message)"
    }

    /// `formatted` for printing: the path, code and message come from the repository and the
    /// linter, so control characters in them are shown as escapes (`String.displaySafe`).
    public var displayLine: String {
        "\(path.displaySafe):\(line):\(column): \(code.displaySafe) \(message.displaySafe)"
    }
}
