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
        /// Not fixed; nothing committed: every attempt was refused by verification, or the landing
        /// failed. `refusal` says which kind of refusal, when it was one.
        case failed
        /// Not attempted (uncommitted changes, untracked file, …).
        case skipped
        /// Not attempted: none of its diagnostics is one the run's fixers can fix (autofix fixes
        /// only what the tool marks fixable). Not a failure of the run: an AI agent is needed.
        case needsAgent = "needs_agent"
    }

    /// Why verification refused a file's attempts, by kind, for the summary's top reasons.
    public enum Refusal: String, Sendable, Hashable, Codable, CaseIterable {
        /// The change introduced diagnostics the file did not have.
        case introduced
        /// The change broke the test command.
        case testsFailed = "tests_failed"
        /// The anti-suppression gate found a suppression or a configuration edit.
        case gate
        /// The change touched paths outside the file (or wrote under .git, or committed).
        case scope
        /// The change fixed none of the targets, or the agent made no change.
        case notFixed = "not_fixed"
        /// The agent failed to run to the end (timeout, crash, unreachable).
        case agentFailed = "agent_failed"

        /// The words used in summaries.
        public var label: String {
            switch self {
            case .introduced: return "introduced diagnostics"
            case .testsFailed: return "tests failed"
            case .gate: return "suppression gate"
            case .scope: return "outside its scope"
            case .notFixed: return "nothing fixed"
            case .agentFailed: return "agent failed"
            }
        }
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
    /// Diagnostics the file still has that none of the run's fixers can fix (an AI agent can), as
    /// the file now is on the branch: after the landed fix, or unchanged when nothing landed.
    public var needsAgent: [Diagnostic] = []
    /// The kind of refusal, for a failed file whose attempts verification refused.
    public var refusal: Refusal?
    /// Rules whose fixes were left out so the rest could land (narrowing), with the reason.
    public var droppedRules: [String: String] = [:]
    /// The agent's last non-success exit status, when its change was verified anyway.
    public var agentExitStatus: Int32?

    public init(
        path: String, status: Status, reason: String? = nil, commit: ObjectID? = nil, key: IdempotencyKey? = nil,
        diagnosticsBefore: Int = 0, fixed: [String: Int] = [:], remaining: [Diagnostic] = [],
        introduced: [Diagnostic] = [], changed: Bool = false, attempts: Int = 0, agentCalls: Int = 0,
        agentSeconds: Double = 0, totalSeconds: Double = 0, diff: String? = nil
    ) {
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

    /// A file planning left alone, carrying its diagnostics as what remains (so `check`, the CI
    /// annotations and SARIF still report them).
    static func skipped(withDiagnostics diagnostics: [Diagnostic], _ path: String, _ reason: String) -> FileOutcome {
        var outcome = FileOutcome.skipped(path, reason, diagnostics: diagnostics.count)
        outcome.remaining = diagnostics.sorted()
        return outcome
    }
}
