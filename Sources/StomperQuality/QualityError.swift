public import StomperErrors

/// The one error type of StomperQuality: a linter could not give an answer.
/// Diagnostics are results, never errors. `detailedDescription` adds the tool, its command line,
/// the underlying error and where the error was made.
public struct QualityError: StomperError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// The linter's executable is not installed.
        public static let toolMissing = Code("toolMissing")
        /// The linter ran and reported a failure of its own (bad config, bad flag, crash).
        public static let toolFailed = Code("toolFailed")
        /// The linter's output could not be parsed.
        public static let unreadableOutput = Code("unreadableOutput")
        /// The installed tool is older than the oldest version stomper can read (mypy < 1.11).
        public static let unsupportedVersion = Code("unsupportedVersion")
        /// The linter's own settings are unusable (a bad pattern, duplicate names, an empty command).
        public static let badConfiguration = Code("badConfiguration")
        /// A report the linter reads (a SARIF file) does not exist.
        public static let inputMissing = Code("inputMissing")
        /// A fix the tool printed as a unified diff was refused: it is malformed, names another
        /// file, or does not match the file, which is left as it was.
        public static let fixRejected = Code("fixRejected")
        /// The file a fix applies to could not be read or replaced.
        public static let fileAccess = Code("fileAccess")
        public var description: String { name }
    }

    public var code: Code
    public var message: String
    public var tool: String
    public var commandLine: String?
    public var exitStatus: Int32?
    /// What the tool printed on stderr (trimmed), shown to the user for tool failures.
    public var standardError: String?
    public var underlying: (any Error)?
    public var file: String
    public var line: UInt

    public init(
        _ code: Code, _ message: String, tool: String, commandLine: String? = nil, exitStatus: Int32? = nil,
        standardError: String? = nil, underlying: (any Error)? = nil, file: String = #fileID, line: UInt = #line
    ) {
        self.code = code
        self.message = message
        self.tool = tool
        self.commandLine = commandLine
        self.exitStatus = exitStatus
        self.standardError = standardError
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = message
        if let exitStatus { text += " (exit status \(exitStatus))" }
        if let standardError, !standardError.isEmpty { text += ": \(standardError)" }
        return text
    }
}

extension QualityError {
    public var details: [ErrorDetail] {
        var details = [ErrorDetail("tool", tool)]
        if let commandLine { details.append(ErrorDetail("command", commandLine)) }
        if let exitStatus { details.append(ErrorDetail("exit status", "\(exitStatus)")) }
        return details
    }
}
