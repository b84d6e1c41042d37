public import StomperQuality
import Foundation

/// Something that edits one file in a worktree to remove its diagnostics: a linter's own autofix,
/// an AI coding CLI, a chat endpoint. Agents are not trusted: whatever they do is verified,
/// scope-checked and only then landed, by the pipeline, never by the agent.
public protocol Agent: Sendable {
    /// Who this agent is; part of every idempotency key, so a different agent or setting gives a
    /// different key.
    var identity: AgentIdentity { get }

    /// Edits `request.path` inside `request.worktree`. Must not touch the main checkout.
    /// A failed attempt is an `AgentOutcome`, not a thrown error; throwing means the agent could
    /// not be run at all in a way that will not get better (for example, a bad template).
    func fix(_ request: FixRequest) async throws -> AgentOutcome

    /// Whether this agent can remove `diagnostic` at all: a linter's autofix only what the tool
    /// marks fixable, an AI agent anything. A job targets only what its agents can fix; the rest
    /// is reported as needing an agent, not as a failure of this one.
    func canFix(_ diagnostic: Diagnostic) -> Bool

    /// True for a deterministic fixer that can be told to leave rules alone (autofix): when its
    /// change introduces a diagnostic or breaks the tests, the pipeline narrows it by excluding
    /// the rules whose fixes did it, instead of asking it again with feedback.
    var narrowsByRule: Bool { get }

    /// True when nothing the agent runs can write outside the request's worktree and scratch
    /// folder (its processes run in a sandbox, or it runs none): then the repository's common git
    /// directory cannot have been written by it, and a snapshot-restore of it is not needed.
    var isContained: Bool { get }

    /// True when the agent reads nothing of the worktree but the request's file (and whatever its
    /// own linters read): it can work in a sparse worktree (`fix.worktree`). AI coding CLIs read
    /// the project, so agents say false unless they know better.
    var readsOnlyItsFile: Bool { get }
}

extension Agent {
    public func canFix(_ diagnostic: Diagnostic) -> Bool { true }
    public var narrowsByRule: Bool { false }
    /// Agents are not contained unless they say so.
    public var isContained: Bool { false }
    public var readsOnlyItsFile: Bool { false }
}

/// The name and every setting of an agent that can change what it writes.
public struct AgentIdentity: Sendable, Hashable, Codable, CustomStringConvertible {
    /// `autofix`, `command`.
    public var kind: String
    /// A readable name (`autofix`, or the command's executable).
    public var name: String
    /// Settings that change the result (argv template, tool versions, flags), canonical text.
    public var settings: String

    public init(kind: String, name: String, settings: String) {
        self.kind = kind
        self.name = name
        self.settings = settings
    }

    public var description: String { kind == name ? kind : "\(kind):\(name)" }
}

/// What went wrong on the previous attempt, handed to the next one.
public struct AttemptFeedback: Sendable, Hashable {
    public var remaining: [Diagnostic]
    public var introduced: [Diagnostic]
    public var notes: [String]
    /// The end of the test command's output when the tests failed after the previous attempt.
    public var testOutput: String?

    public init(remaining: [Diagnostic] = [], introduced: [Diagnostic] = [], notes: [String] = [], testOutput: String? = nil) {
        self.remaining = remaining
        self.introduced = introduced
        self.notes = notes
        self.testOutput = testOutput
    }
}

/// A verified fix of the same code made earlier in this repository, shown to the agent as an
/// example when the code is a difficult one.
public struct FixExample: Sendable, Hashable, Codable {
    /// The rule code it fixed (`F821`).
    public var code: String
    public var path: String
    /// The unified diff that landed.
    public var diff: String

    public init(code: String, path: String, diff: String) {
        self.code = code
        self.path = path
        self.diff = diff
    }
}

/// What an agent reports it consumed, when it reports it (tokens, cost).
public struct AgentUsage: Sendable, Hashable, Codable {
    public var inputTokens: Int?
    public var outputTokens: Int?
    public var costUSD: Double?

    public init(inputTokens: Int? = nil, outputTokens: Int? = nil, costUSD: Double? = nil) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.costUSD = costUSD
    }

    /// Adds what two calls consumed; a figure unknown on both sides stays unknown.
    public static func + (lhs: AgentUsage, rhs: AgentUsage) -> AgentUsage {
        func sum<T: AdditiveArithmetic>(_ a: T?, _ b: T?) -> T? {
            switch (a, b) {
            case (nil, nil): return nil
            default: return (a ?? .zero) + (b ?? .zero)
            }
        }
        return AgentUsage(
            inputTokens: sum(lhs.inputTokens, rhs.inputTokens), outputTokens: sum(lhs.outputTokens, rhs.outputTokens),
            costUSD: sum(lhs.costUSD, rhs.costUSD))
    }
}

/// One request to fix one file.
public struct FixRequest: Sendable {
    /// Absolute path of the worktree the agent works in.
    public var worktree: String
    /// The file to fix, relative to the worktree root.
    public var path: String
    /// The diagnostics to remove.
    public var diagnostics: [Diagnostic]
    /// 1 for the first attempt.
    public var attempt: Int
    public var feedback: AttemptFeedback?
    /// The longest one attempt may run; the agent's process group is killed after it.
    public var timeout: Duration
    /// A private folder outside the worktree for prompt files and the like.
    public var scratchDirectory: String
    /// Earlier verified fixes of this file's difficult codes, for the prompt.
    public var examples: [FixExample]
    /// Diagnostics the file has that the selection left out (`--error-type`, `--ignore`): an agent
    /// must not fix them (autofix excludes their rules).
    public var leaveAlone: [Diagnostic] = []

    public init(
        worktree: String, path: String, diagnostics: [Diagnostic], attempt: Int = 1,
        feedback: AttemptFeedback? = nil, timeout: Duration, scratchDirectory: String, examples: [FixExample] = []
    ) {
        self.worktree = worktree
        self.path = path
        self.diagnostics = diagnostics
        self.attempt = attempt
        self.feedback = feedback
        self.timeout = timeout
        self.scratchDirectory = scratchDirectory
        self.examples = examples
    }
}

/// How an attempt ended, as far as the agent process can tell. Whether the file is fixed is
/// decided afterwards by verification, never by the agent's own claim.
public struct AgentOutcome: Sendable, Hashable {
    public enum Status: Sendable, Hashable {
        /// The agent finished normally.
        case completed
        /// The agent reported failure: a non-zero exit, or a tool error.
        case failed(reason: String)
        /// The agent ran past its timeout and its process group was killed.
        case timedOut(after: Duration)
        /// The agent was killed by a signal it did not ask for.
        case crashed(signal: Int32)
        /// The agent could not be used because of its infrastructure: the executable is missing,
        /// the endpoint refused the connection or the key, or it kept failing (5xx, rate limits)
        /// after its retries. These count towards the circuit breaker.
        case unavailable(reason: String)
    }

    public var status: Status
    /// The end of what the agent printed (stdout then stderr), for reports and the next prompt.
    public var output: String
    public var duration: Duration
    public var calls: Int
    /// Tokens and cost, when the agent reports them.
    public var usage: AgentUsage?
    /// The exit status of the agent's process when it exited with one other than success. Such an
    /// attempt is still verified: ruff exits 1 when unfixable diagnostics remain, and a CLI may
    /// exit non-zero after a good edit. Verification decides, the status is recorded.
    public var exitStatus: Int32?

    public init(
        status: Status, output: String = "", duration: Duration = .zero, calls: Int = 1, usage: AgentUsage? = nil,
        exitStatus: Int32? = nil
    ) {
        self.status = status
        self.output = output
        self.duration = duration
        self.calls = calls
        self.usage = usage
        self.exitStatus = exitStatus
    }

    /// Whether what the agent left in the worktree is worth verifying: it ran to the end, whatever
    /// its exit status. Timeouts, crashes and unreachable agents are not.
    public var isVerifiable: Bool {
        switch status {
        case .completed, .failed: return true
        case .timedOut, .crashed, .unavailable: return false
        }
    }

    /// Whether the failure was the agent's infrastructure (counts towards the circuit breaker).
    public var isInfrastructureFailure: Bool {
        if case .unavailable = status { return true }
        return false
    }

    /// A one-line reason when the attempt did not complete.
    public var failureReason: String? {
        switch status {
        case .completed: return nil
        case .failed(let reason): return reason
        case .timedOut(let after): return "agent timed out after \(after.formattedSeconds); its processes were killed"
        case .crashed(let signal): return "agent crashed (killed by signal \(signal))"
        case .unavailable(let reason): return reason
        }
    }
}

extension Duration {
    /// `1.5s`, for messages.
    public var formattedSeconds: String {
        let (seconds, attoseconds) = components
        let value = Double(seconds) + Double(attoseconds) / 1e18
        return value == value.rounded() ? "\(Int(value))s" : String(format: "%.1fs", value)
    }
}
