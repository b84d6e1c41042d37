public import StomperAgents
public import StomperGit
public import StomperQuality

/// The result of one file's job.
public struct FileOutcome: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
        /// Every targeted diagnostic fixed; committed.
        case fixed
        /// Some diagnostics fixed, none introduced, some left; committed because `landPartial` is on.
        case partiallyFixed = "partially_fixed"
        /// Dry run: a verified fix exists and was not committed.
        case wouldFix = "would_fix"
        /// Not fixed; nothing committed.
        case failed
        /// Not attempted (uncommitted changes, untracked file, …).
        case skipped
    }

    public var path: String
    public var status: Status
    /// Why the file failed or was skipped; nil when fixed.
    public var reason: String?
    public var commit: ObjectID?
    public var key: IdempotencyKey?
    public var diagnosticsBefore: Int
    /// Targeted diagnostics that are gone, per code.
    public var fixed: [String: Int]
    public var remaining: [Diagnostic]
    public var introduced: [Diagnostic]
    /// Whether the agent changed anything at all (a diff can exist without the errors being fixed).
    public var changed: Bool
    public var attempts: Int
    public var agentCalls: Int
    public var agentSeconds: Double
    public var totalSeconds: Double
    /// The unified diff of the fix, kept for dry runs.
    public var diff: String?
    /// Seconds spent per phase: worktree, agent, verify, diff, land, ledger.
    public var phases: [String: Double] = [:]
    /// The other writer this file was left to: another stomper process holding it, or whoever
    /// changed it on the branch since planning. Nil when this run dealt with the file itself.
    public var leftTo: String?
    /// Not attempted because the run's agent work stopped (circuit breaker, call or time budget):
    /// left planned, for `stomper resume`.
    public var deferred: Bool = false
    /// Tokens and cost the agents reported for this file.
    public var usage: AgentUsage?

    public init(path: String, status: Status, reason: String? = nil, commit: ObjectID? = nil, key: IdempotencyKey? = nil,
                diagnosticsBefore: Int = 0, fixed: [String: Int] = [:], remaining: [Diagnostic] = [],
                introduced: [Diagnostic] = [], changed: Bool = false, attempts: Int = 0, agentCalls: Int = 0,
                agentSeconds: Double = 0, totalSeconds: Double = 0, diff: String? = nil) {
        self.path = path
        self.status = status
        self.reason = reason
        self.commit = commit
        self.key = key
        self.diagnosticsBefore = diagnosticsBefore
        self.fixed = fixed
        self.remaining = remaining
        self.introduced = introduced
        self.changed = changed
        self.attempts = attempts
        self.agentCalls = agentCalls
        self.agentSeconds = agentSeconds
        self.totalSeconds = totalSeconds
        self.diff = diff
    }

    static func skipped(_ path: String, _ reason: String, diagnostics: Int) -> FileOutcome {
        FileOutcome(path: path, status: .skipped, reason: reason, diagnosticsBefore: diagnostics)
    }
}
