import Foundation
public import Logging
public import StomperAgents
public import StomperCoordination
public import StomperGit
public import StomperQuality

/// What the pipeline reports while it runs, for progress displays.
public enum PipelineEvent: Sendable {
    case started(path: String)
    /// A job entered a phase: its agent started, its verification (re-lint, tests), its landing.
    case phase(path: String, PipelinePhase)
    case finished(FileOutcome)
}

/// The phases of a job a progress display shows, in the order a job goes through them (an agent
/// attempt and its verification repeat on a retry).
public enum PipelinePhase: String, Sendable {
    case agent, verify, land
}

/// The per-file worktree pipeline: plan once, then for each file lease a worktree, run the agent,
/// verify, scope-check and land, with at most `maxParallelFiles` files in flight.
///
/// By concern: planning and recording a new run (`Pipeline+Planning`), running the jobs
/// (`Pipeline+Run`), one job from its claim to its end (`Pipeline+Jobs`, with `JobRun`), the agent
/// chain in a worktree (`Pipeline+Attempts`, `Pipeline+AttemptRunner`), verification
/// (`Pipeline+Verification`), landing (`Pipeline+Landing`), continuing a run (`Pipeline+Resume`).
/// Every change of a job's state goes through `RunRecorder.transition(_:_:from:)`.
public struct Pipeline: Sendable {
    public let repository: GitRepository
    public let configuration: StomperConfiguration
    /// Every enabled linter (a `LinterSet` when there are several): planning lints with it once,
    /// verification re-lints each fixed file with it.
    public let linter: any Linter
    /// The fallback chain: each agent gets only what the ones before it left.
    public let agents: [any Agent]
    public let resourceGuard: any ResourceGuard
    public let logger: Logger
    /// The anti-suppression gate; nil when it is switched off.
    public let gate: SuppressionGate?
    /// Run after each attempt that the linters accept; nil when none is configured.
    public let tests: TestCommand?

    public init(
        repository: GitRepository, configuration: StomperConfiguration, linter: any Linter, agents: [any Agent],
        resourceGuard: any ResourceGuard = InProcessGuard(), gate: SuppressionGate? = SuppressionGate(),
        tests: TestCommand? = nil, logger: Logger
    ) {
        precondition(!agents.isEmpty, "a pipeline needs at least one agent")
        self.repository = repository
        self.configuration = configuration
        self.linter = linter
        self.agents = agents
        self.resourceGuard = resourceGuard
        self.gate = gate
        self.tests = tests
        self.logger = logger
    }

    public init(
        repository: GitRepository, configuration: StomperConfiguration, linter: any Linter, agent: any Agent,
        resourceGuard: any ResourceGuard = InProcessGuard(), logger: Logger
    ) {
        self.init(
            repository: repository, configuration: configuration, linter: linter, agents: [agent],
            resourceGuard: resourceGuard, logger: logger)
    }

    /// The identity of the whole chain (part of every idempotency key).
    public var agentIdentity: AgentIdentity {
        if agents.count == 1 { return agents[0].identity }
        return AgentIdentity(
            kind: "chain", name: agents.map(\.identity.description).joined(separator: " then "),
            settings: agents.map { "\($0.identity.kind)\u{1e}\($0.identity.name)\u{1e}\($0.identity.settings)" }
                .joined(separator: "\u{1d}"))
    }

    /// Whether some agent of the chain can fix `diagnostic`.
    public func canFix(_ diagnostic: Diagnostic) -> Bool {
        agents.contains { $0.canFix(diagnostic) }
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// `1 diagnostic remains`, `2 diagnostics remain`.
func remain(_ count: Int) -> String {
    plural(count, "diagnostic") + (count == 1 ? " remains" : " remain")
}

/// `1 diagnostic`, `2 diagnostics`.
public func plural(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
}
