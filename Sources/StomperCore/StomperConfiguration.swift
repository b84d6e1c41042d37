public import StomperCoordination
public import StomperDocs
/// The finished configuration of a run: defaults, `stomper.toml`, `STOMPER_*` variables and flags
/// already merged by the CLI. The library never reads configuration sources itself.
public struct StomperConfiguration: Sendable, Hashable, Codable {
    public enum AgentKind: String, Sendable, Hashable, Codable, CaseIterable {
        /// The linters' own fixers.
        case autofix
        /// An executable with an argv template.
        case command
    }

    /// How many files are worked on at once (worktrees in the pool, agents running).
    public var maxParallelFiles: Int = 4
    public var agent: AgentKind = .autofix
    /// The argv template of the command agent.
    public var command: [String] = []
    /// The longest one agent attempt may run.
    public var agentTimeoutSeconds: Int = 300
    /// Attempts per file; each later attempt continues in the same worktree with feedback.
    public var maxAttempts: Int = 1
    /// Let autofix apply fixes ruff marks unsafe.
    public var unsafeFixes: Bool = false
    /// Land a fix that removes some diagnostics and introduces none, even if some remain.
    public var landPartial: Bool = false
    /// Paths (relative to the root) a fix may touch besides its own file.
    public var allowedPaths: [String] = []
    public var ruffExecutable: String = "ruff"
    public var ruffArguments: [String] = []
    /// Short lock waits for a person at a terminal, longer ones for CI.
    public var interactive: Bool = true
    /// The anti-stomp layer's policy registry (`[maasl]`).
    public var coordination = CoordinationPolicy()
    /// Docs regenerated for changed files after a run (`[docs]`).
    public var docs = DocgenSettings()

    public var operationMode: OperationMode { interactive ? .interactive : .batch }

    public init() {}

    /// Hash of the settings that can change what a fix produces (part of every idempotency key).
    /// Parallelism and display settings are left out: they do not change results.
    public var resultHash: String {
        let json = CanonicalJSON.object([
            "agent": .string(agent.rawValue),
            "command": .array(command.map { .string($0) }),
            "max_attempts": .int(maxAttempts),
            "unsafe_fixes": .bool(unsafeFixes),
            "land_partial": .bool(landPartial),
            "allowed_paths": .array(allowedPaths.sorted().map { .string($0) }),
            "ruff_arguments": .array(ruffArguments.map { .string($0) }),
        ])
        return sha256Hex(json.text)
    }
}
