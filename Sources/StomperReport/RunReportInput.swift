/// Everything the HTML run report shows, as plain values: `HTMLRunReport` renders it without a
/// ledger or a repository, so rendering is tested on synthetic input (10,000 files, hostile
/// names) and the ledger's part (`RunReportInput.make`) is tested on its own.
///
/// Times are seconds since `start` (the run's first recorded moment), so the timeline needs no
/// date arithmetic. Every string may come from the repository (paths, messages, diffs, reasons)
/// and is escaped by the renderer, never here.
public struct RunReportInput: Sendable, Hashable, Codable {
    public var runID: String
    /// `completed`, `interrupted`, `running`, … as the ledger records it.
    public var status: String
    public var branch: String
    public var baseCommit: String
    public var agent: String
    public var dryRun: Bool
    /// ISO-8601 UTC of the run's creation and end (nil while it has not ended).
    public var createdAt: String
    public var finishedAt: String?
    /// Seconds from the first to the last recorded event.
    public var durationSeconds: Double
    /// Files at a time, when the run recorded it.
    public var parallel: Int?
    public var files: [File]
    /// What the ledger has learnt about the codes of this run (all runs so far), when known.
    public var learning: [Learning]
    /// Facts the renderer states as caveats (for example: the run predates some events).
    public var notes: [String]

    public init(
        runID: String, status: String, branch: String, baseCommit: String, agent: String, dryRun: Bool,
        createdAt: String, finishedAt: String? = nil, durationSeconds: Double, parallel: Int? = nil,
        files: [File], learning: [Learning] = [], notes: [String] = []
    ) {
        self.runID = runID
        self.status = status
        self.branch = branch
        self.baseCommit = baseCommit
        self.agent = agent
        self.dryRun = dryRun
        self.createdAt = createdAt
        self.finishedAt = finishedAt
        self.durationSeconds = durationSeconds
        self.parallel = parallel
        self.files = files
        self.learning = learning
        self.notes = notes
    }

    /// One file of the run.
    public struct File: Sendable, Hashable, Codable {
        public var path: String
        /// A `FileOutcome.Status` raw value (`fixed`, `partially_fixed`, `would_fix`, `failed`,
        /// `skipped`, `needs_agent`), or the ledger's job state (`planned`, `running`) when the
        /// file has no outcome yet.
        public var status: String
        public var reason: String?
        public var commit: String?
        public var diagnosticsBefore: Int
        /// Diagnostics gone, per code.
        public var fixed: [String: Int]
        /// What is left in the file.
        public var remaining: [Remaining]
        /// How many of `remaining` no fixer of the run can fix (an AI agent is needed).
        public var needsAgent: Int
        public var attempts: [Attempt]
        /// The landed (or, in a dry run, verified) diff, when known.
        public var diff: String?
        public var spans: [Span]

        public init(
            path: String, status: String, reason: String? = nil, commit: String? = nil, diagnosticsBefore: Int = 0,
            fixed: [String: Int] = [:], remaining: [Remaining] = [], needsAgent: Int = 0, attempts: [Attempt] = [],
            diff: String? = nil, spans: [Span] = []
        ) {
            self.path = path
            self.status = status
            self.reason = reason
            self.commit = commit
            self.diagnosticsBefore = diagnosticsBefore
            self.fixed = fixed
            self.remaining = remaining
            self.needsAgent = needsAgent
            self.attempts = attempts
            self.diff = diff
            self.spans = spans
        }
    }

    /// A diagnostic left in a file.
    public struct Remaining: Sendable, Hashable, Codable {
        public var line: Int
        public var code: String
        public var message: String
        public var needsAgent: Bool

        public init(line: Int, code: String, message: String, needsAgent: Bool = false) {
            self.line = line
            self.code = code
            self.message = message
            self.needsAgent = needsAgent
        }
    }

    /// One agent attempt on a file.
    public struct Attempt: Sendable, Hashable, Codable {
        public var number: Int
        public var agent: String
        /// An `AttemptOutcome` raw value: `fixed`, `improved`, `not_fixed`, `rejected`, `agent_failed`.
        public var outcome: String
        public var milliseconds: Int
        public var inputTokens: Int?
        public var outputTokens: Int?
        public var costUSD: Double?

        public init(
            number: Int, agent: String, outcome: String, milliseconds: Int, inputTokens: Int? = nil,
            outputTokens: Int? = nil, costUSD: Double? = nil
        ) {
            self.number = number
            self.agent = agent
            self.outcome = outcome
            self.milliseconds = milliseconds
            self.inputTokens = inputTokens
            self.outputTokens = outputTokens
            self.costUSD = costUSD
        }
    }

    /// A stretch of a file's time in the run.
    public struct Span: Sendable, Hashable, Codable {
        public enum Phase: String, Sendable, Hashable, Codable, CaseIterable {
            /// Planned, not started: waiting for one of the run's parallel slots.
            case waiting
            /// Started: claiming the file, leasing a worktree, looking in the fix cache.
            case preparing
            /// An agent attempt.
            case agent
            /// Re-linting, the gate, the tests, the diff.
            case verify
            /// Committing the verified fix.
            case land
        }

        /// How the stretch ended, for its colour.
        public enum Result: String, Sendable, Hashable, Codable {
            case neutral, success, partial, refused, failed
        }

        public var phase: Phase
        public var start: Double
        public var end: Double
        public var result: Result

        public init(_ phase: Phase, start: Double, end: Double, result: Result = .neutral) {
            self.phase = phase
            self.start = start
            self.end = max(start, end)
            self.result = result
        }
    }

    /// How one agent did on one code over every run the ledger remembers.
    public struct Learning: Sendable, Hashable, Codable {
        public var code: String
        public var agent: String
        public var attempts: Int
        public var successes: Int
        public var meanMilliseconds: Double

        public init(code: String, agent: String, attempts: Int, successes: Int, meanMilliseconds: Double) {
            self.code = code
            self.agent = agent
            self.attempts = attempts
            self.successes = successes
            self.meanMilliseconds = meanMilliseconds
        }
    }
}
