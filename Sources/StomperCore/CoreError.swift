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
        /// A shard bundle cannot be written (`fix --bundle DIR`) or read (`land`): the folder
        /// holds something else, a file is missing, changed or not a bundle, its base is unknown.
        public static let bundle = Code("bundle")
        /// A setting's value, a configuration file or an environment variable cannot be used; the
        /// message names the key or file and what to write instead.
        public static let invalidSetting = Code("invalidSetting")
        /// No linter is enabled, so there is nothing to check.
        public static let noLinter = Code("noLinter")
        /// An agent a command must start cannot run here: its program is not installed, or the key
        /// its endpoint needs is not set. `subject` names the agent.
        public static let agentUnavailable = Code("agentUnavailable")
        /// A directory or path given by the user does not exist or is outside the repository.
        public static let invalidPath = Code("invalidPath")
        /// Another stomper run blocks this one (a live run while only one may run, or an
        /// unfinished run of a dead process that must be resumed or abandoned first).
        public static let runBlocked = Code("runBlocked")
        /// The run asked to resume cannot be resumed (finished, a dry run, still running).
        public static let notResumable = Code("notResumable")
        /// A command that commits onto the checked-out branch (`docgen`) found HEAD detached.
        public static let notOnBranch = Code("notOnBranch")
        public var description: String { name }

        /// Codes that mean the user's input (a flag, argument, setting or the repository's
        /// state of runs) must change, rather than that a run failed; `--json` reports them as
        /// `invalid_input`, the code these conditions had before they moved into the library.
        public var isInvalidInput: Bool {
            [Code.invalidSetting, .noLinter, .agentUnavailable, .invalidPath, .runBlocked, .notResumable, .notOnBranch].contains(self)
        }
    }

    public var code: Code
    public var message: String
    public var underlying: (any Error)?
    /// What the error is about, when one input is: the setting key, the file, the agent's name.
    public var subject: String?
    public var file: String
    public var line: UInt

    public init(
        _ code: Code, _ message: String, subject: String? = nil, underlying: (any Error)? = nil,
        file: String = #fileID, line: UInt = #line
    ) {
        self.code = code
        self.message = message
        self.subject = subject
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    public var description: String { message }

    /// The input the error is about, when there is one.
    public var details: [ErrorDetail] { subject.map { [ErrorDetail("subject", $0)] } ?? [] }
}
