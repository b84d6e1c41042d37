public import StomperErrors

/// The one error type of StomperDocs: a doc could not be named, generated or written.
///
/// `description` is one line. It never contains the source file or the prompt sent to a command
/// generator; a command's standard error is kept, redacted and shortened, in `standardError`.
/// `detailedDescription` adds the command line, exit status, errno, the underlying error and where
/// the error was made.
public struct DocsError: StomperError {
    /// What kind of failure this is. Extensible: new codes can be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The built-in generator has no outline for this language.
        public static let unsupported = Code("unsupported")
        /// A source path or docs folder is empty, absolute or escapes the repository.
        public static let invalidPath = Code("invalidPath")
        /// A generator setting is unusable (an empty command, a non-positive timeout).
        public static let invalidConfiguration = Code("invalidConfiguration")
        /// The generator command is not installed or not on `PATH`.
        public static let generatorNotFound = Code("generatorNotFound")
        /// The generator command ran past its timeout and was stopped.
        public static let generatorTimedOut = Code("generatorTimedOut")
        /// The generator ran but gave no usable doc (non-zero exit, signal, empty or oversized output).
        public static let generatorFailed = Code("generatorFailed")
        /// A file-system operation failed; see `underlying` and `errno`.
        public static let io = Code("io")

        public var description: String { name }
    }

    public var code: Code
    public var message: String
    /// The source path (repo-relative) or the file the failure is about.
    public var path: String?
    /// The command line of a command generator, after placeholder substitution.
    public var commandLine: String?
    public var exitStatus: Int32?
    /// The last lines of the command's standard error, redacted of secrets.
    public var standardError: String?
    /// The C `errno` of a failed system call.
    public var errno: Int32?
    public var underlying: (any Error)?
    public var file: String
    public var line: UInt

    public init(
        _ code: Code, _ message: String, path: String? = nil, commandLine: String? = nil, exitStatus: Int32? = nil,
        standardError: String? = nil, errno: Int32? = nil, underlying: (any Error)? = nil,
        file: String = #fileID, line: UInt = #line
    ) {
        self.code = code
        self.message = message
        self.path = path
        self.commandLine = commandLine
        self.exitStatus = exitStatus
        self.standardError = standardError
        self.errno = errno
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = message
        if let path, !message.contains(path) { text += " (\(path))" }
        if let standardError, !standardError.isEmpty {
            text += ": " + standardError.split(whereSeparator: \.isNewline).joined(separator: " | ")
        }
        return text
    }
}

extension DocsError {
    public var details: [ErrorDetail] {
        var details: [ErrorDetail] = []
        if let path { details.append(ErrorDetail("path", path)) }
        if let commandLine { details.append(ErrorDetail("command", commandLine)) }
        if let exitStatus { details.append(ErrorDetail("exit status", "\(exitStatus)")) }
        if let errno { details.append(.errno(errno)) }
        return details
    }
}
