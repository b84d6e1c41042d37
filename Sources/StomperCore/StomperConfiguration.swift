import Foundation
public import StomperAgents
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
        /// Presets of the command agent for AI coding CLIs run headless.
        case claude, codex, aider, cursorAgent = "cursor-agent", gemini, opencode
        /// An OpenAI-compatible Chat Completions endpoint.
        case chat
    }

    /// How agents, linters and test commands run in worktrees are contained (`agent.sandbox`).
    public enum SandboxKind: String, Sendable, Hashable, Codable, CaseIterable {
        /// Under bubblewrap: read-only filesystem but the worktree, private /tmp, own PID namespace,
        /// network only for AI CLIs (see `RunSandbox`).
        case bwrap
        /// Uncontained, as before the sandbox: only the checks after each attempt (detection).
        case none
    }

    /// Where a retry starts.
    public enum RetryStart: String, Sendable, Hashable, Codable, CaseIterable {
        /// From what the previous attempt left (with its feedback).
        case `continue`
        /// From a clean worktree (the base plus any accepted improvement).
        case clean
    }

    /// A SARIF 2.1.0 producer (`[[quality.sarif]]`): a command printing SARIF, or a file.
    public struct SarifSource: Sendable, Hashable, Codable {
        public var name: String
        public var command: [String] = []
        public var file: String = ""
        public var versionCommand: [String] = []

        public init(name: String, command: [String] = [], file: String = "", versionCommand: [String] = []) {
            self.name = name
            self.command = command
            self.file = file
            self.versionCommand = versionCommand
        }
    }

    /// A tool printing `file:line:col: code message` lines (`[[quality.pattern]]`).
    public struct PatternSource: Sendable, Hashable, Codable {
        public var name: String
        public var command: [String]
        /// A regular expression with named groups file, line, col, code, message; empty = the default.
        public var pattern: String = ""
        public var versionCommand: [String] = []

        public init(name: String, command: [String], pattern: String = "", versionCommand: [String] = []) {
            self.name = name
            self.command = command
            self.pattern = pattern
            self.versionCommand = versionCommand
        }
    }

    /// How many files are worked on at once (worktrees in the pool, agents running).
    public var maxParallelFiles: Int = 4
    /// Leave the pool's worktrees in `.git/stomper/worktrees` when a run ends, so that the next
    /// run takes them over instead of checking the repository out again.
    public var keepWorktrees = false
    /// `fix.worktree`: sparse worktrees where the fixers and linters allow them (auto), always, or never.
    public var worktreeMode: WorktreeMode = .auto
    /// `fix.branch`: commit fixes only onto this branch's ref, never touching HEAD, the index or
    /// the working tree (empty: onto the checked-out branch). Not part of `resultHash`: where a
    /// fix lands does not change what it is.
    public var fixBranch = ""
    public var agent: AgentKind = .autofix
    /// The fallback chain (`agent.chain`): agents tried in order, each getting only what the
    /// previous ones left. Empty means just `agent`.
    public var agentChain: [AgentKind] = []
    /// The model a preset or the chat agent asks for (empty: the tool's default).
    public var agentModel: String = ""
    /// The program a preset runs instead of its default name (a path, or `agent` for newer cursor installs).
    public var agentExecutable: String = ""
    /// The argv template of the command agent.
    public var command: [String] = []
    /// A project prompt template file (relative to the root) replacing the built-in task prompt.
    public var promptTemplate: String = ""
    /// Where a retry starts: from the previous attempt's state, or clean.
    public var retryFrom: RetryStart = .continue
    /// The chat agent's endpoint settings (`[agent.chat]`).
    public var chat = ChatSettings()
    /// Agent attempts allowed in one run (0 = no limit).
    public var maxAgentCalls: Int = 0
    /// Seconds after which no agent attempt starts (0 = no limit).
    public var timeBudgetSeconds: Int = 0
    /// Consecutive infrastructure failures that open the circuit breaker (0 = never).
    public var breakerThreshold: Int = 3
    public var breakerCooldownSeconds: Int = 30
    /// First delay of the exponential backoff between attempts after an infrastructure failure.
    public var backoffBaseMilliseconds: Int = 1000
    /// Record every attempt's outcome per code, reorder the chain and add examples from it.
    public var learning: Bool = true
    /// Past verified fixes shown per difficult code (0 = none).
    public var learningExamples: Int = 2
    /// The test command run after each verified attempt (`{file}` placeholder; empty = none).
    public var testCommand: [String] = []
    public var testTimeoutSeconds: Int = 300
    /// `verify.test_map`: rules giving the `{test_file}` of a source (`TestMapRule`).
    public var testMap: [String] = TestMapRule.defaults
    /// `verify.test_missing`: what happens when a `{test_file}` command finds no test file.
    public var testMissing: TestCommand.WithoutTestFile = .skip
    /// `verify.test_scope`: after each attempt (`file`, `all`) or once at the end (`final`).
    public var testScope: TestCommand.Scope = .file
    /// The anti-suppression gate, and the rules it lets through.
    public var gate: Bool = true
    public var gateAllow: [String] = []
    /// Linters run, in order (`linters.enabled`): ruff, ruff-format, mypy, shellcheck.
    public var linters: [String] = ["ruff"]
    public var mypyExecutable: String = "mypy"
    public var mypyArguments: [String] = []
    /// Whether mypy keeps its incremental cache between checks (`linters.mypy.cache`, see `MypyCache`).
    public var mypyCache: Bool = true
    public var shellcheckExecutable: String = "shellcheck"
    public var shellcheckArguments: [String] = []
    public var sarif: [SarifSource] = []
    public var patterns: [PatternSource] = []
    /// The containment of processes run in worktrees (`agent.sandbox`).
    public var sandbox: SandboxKind = .bwrap
    /// Extra paths those processes may write (`agent.sandbox_writable`, `~` expanded); paths that
    /// do not exist when a process starts are left out.
    public var sandboxWritable: [String] = []
    /// The longest one agent attempt may run.
    public var agentTimeoutSeconds: Int = 300
    /// Attempts per file; each later attempt continues in the same worktree with feedback.
    public var maxAttempts: Int = 1
    /// Let autofix apply fixes ruff marks unsafe.
    public var unsafeFixes: Bool = false
    /// Land a fix that removes some diagnostics and introduces none, even if some remain.
    public var landPartial: Bool = true
    /// Paths (relative to the root) a fix may touch besides its own file.
    public var allowedPaths: [String] = []
    public var ruffExecutable: String = "ruff"
    public var ruffArguments: [String] = []
    /// `linters.ruff.batch`: lint the files ready for verification at the same moment in one ruff process.
    public var ruffBatch = true
    /// Short lock waits for a person at a terminal, longer ones for CI.
    public var interactive: Bool = true
    /// The anti-stomp layer's policy registry (`[maasl]`).
    public var coordination = CoordinationPolicy()
    /// Docs regenerated for changed files after a run (`[docs]`).
    public var docs = DocgenSettings()
    /// Annotations and reports in CI (`[ci]`).
    public var ci = CISettings()

    public var operationMode: OperationMode { interactive ? .interactive : .batch }

    /// The agents tried for each file, in order.
    public var chain: [AgentKind] { agentChain.isEmpty ? [agent] : agentChain }

    public init() {}

    /// The configuration to resume a run with: the run's stored values of `.keepRun` settings
    /// (every setting that affects results is one: the run's idempotency keys depend on them) and
    /// today's values of `.takeToday` ones (how to reach the agents and how much to spend:
    /// endpoint, key variable, timeouts, retries, breaker, budgets, waits), so a run stopped by a
    /// dead endpoint resumes against a working one. Decided per setting in `Settings.all`.
    public func resuming(with current: StomperConfiguration) -> StomperConfiguration {
        var resumed = self
        for setting in Settings.all where setting.onResume == .takeToday {
            setting.write(&resumed, setting.read(current))
        }
        // Not a setting (no key sets it), but part of reaching the endpoint, like `max_retries`.
        resumed.chat.retryBaseDelayMilliseconds = current.chat.retryBaseDelayMilliseconds
        return resumed
    }

    /// Decodes a configuration a run stored, filling settings an older stomper did not know with
    /// today's defaults (a run started before an upgrade can still be resumed).
    public static func decodeStored(_ json: String) throws -> StomperConfiguration {
        let defaults = try JSONSerialization.jsonObject(with: JSONEncoder().encode(StomperConfiguration()))
        let stored = try JSONSerialization.jsonObject(with: Data(json.utf8))
        func merge(_ base: Any, _ over: Any) -> Any {
            guard let base = base as? [String: Any], let over = over as? [String: Any] else { return over }
            return base.merging(over) { merge($0, $1) }
        }
        let merged = try JSONSerialization.data(withJSONObject: merge(defaults, stored))
        return try JSONDecoder().decode(StomperConfiguration.self, from: merged)
    }

    /// Hash of the settings that can change what a fix produces (part of every idempotency key):
    /// each setting of `Settings.all` with `affectsResults`, by key, plus the `[[quality.*]]`
    /// tools, which are configuration but not settings. Parallelism, waits, display and other
    /// operational settings are left out: they do not change results.
    public var resultHash: String {
        var fields: [String: CanonicalJSON] = [:]
        for setting in Settings.all where setting.affectsResults {
            fields[setting.key] = setting.read(self).canonical
        }
        fields["quality.sarif"] = .array(sarif.map { .array([.string($0.name), .string($0.file)] + $0.command.map { .string($0) }) })
        fields["quality.pattern"] = .array(patterns.map { .array([.string($0.name), .string($0.pattern)] + $0.command.map { .string($0) }) })
        return sha256Hex(CanonicalJSON.object(fields).text)
    }
}
