public import StomperErrors

/// The one error type of StomperCore: a run cannot start or cannot go on.
/// Per-file failures are `FileOutcome`s, never errors. `detailedDescription` adds the chain of
/// underlying errors and where the error was made.
public struct CoreError: StomperError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// The repository is in a state stomper cannot land on (detached HEAD, no commits).
        public static let repositoryState = Code("repositoryState")
        /// A path given by the user is not inside the repository.
        public static let badPath = Code("badPath")
        /// The configuration cannot be used.
        public static let badConfiguration = Code("badConfiguration")
        /// Putting back something stomper must restore failed: the run stops rather than go on
        /// with a repository it cannot vouch for. The message names the path and what to do.
        public static let restoreFailed = Code("restoreFailed")
        /// A ledger record stomper must act on could not be read (an unknown version, damage).
        public static let badRecord = Code("badRecord")
        /// `--patches DIR` cannot be written: DIR holds patches stomper did not write, or a write failed.
        public static let patchExport = Code("patchExport")
        public var description: String { name }
    }

    public var code: Code
    public var message: String
    public var underlying: (any Error)?
    public var file: String
    public var line: UInt

    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil, file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.message = message
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    public var description: String { message }
}
