import StomperAgents
import StomperCoordination
import StomperDocs

/// Every configuration key, in the order `config dump` and docs/CONFIGURATION.md list them. The
/// one place that decides what a setting is: the CLI reads and checks values through it,
/// `StomperConfiguration.resultHash` and `resuming(with:)` are derived from it.
public enum Settings {
    public static let all: [Setting] =
        [
            Setting(
                key: "fix.parallel", affectsResults: false, onResume: .keepRun, kind: .int(1...64),
                help: "files in flight (worktrees, agents); `resume --parallel` overrides the run's",
                read: { .int($0.maxParallelFiles) }, write: { if case .int(let v) = $1 { $0.maxParallelFiles = v } }),
            Setting(
                key: "fix.keep_worktrees", affectsResults: false, onResume: .takeToday, kind: .bool,
                help:
                    "keep the pool's worktrees for the next run, which takes them over instead of checking out again (`--keep-worktrees` / `--no-keep-worktrees`)",
                read: { .bool($0.keepWorktrees) }, write: { if case .bool(let v) = $1 { $0.keepWorktrees = v } }),
            Setting(
                key: "fix.worktree", affectsResults: false, onResume: .takeToday, kind: .choice(WorktreeMode.allCases.map(\.rawValue)),
                help:
                    "what a job's worktree holds: auto (only the file, its configuration and what it imports when autofix or the chat agent fixes and ruff, ruff-format or shellcheck verify; else everything), sparse (that, or refuse the run), full",
                read: { .string($0.worktreeMode.rawValue) },
                write: { if case .string(let v) = $1, let mode = WorktreeMode(rawValue: v) { $0.worktreeMode = mode } }),
            Setting(
                key: "fix.branch", affectsResults: false, onResume: .keepRun, kind: .string,
                help: "commit fixes onto this branch only, HEAD and working tree untouched",
                read: { .string($0.fixBranch) }, write: { if case .string(let v) = $1 { $0.fixBranch = v } }),
            Setting(
                key: "fix.agent", affectsResults: true, onResume: .keepRun, kind: .choice(StomperConfiguration.AgentKind.allCases.map(\.rawValue)),
                help: "which agent fixes files", read: { .string($0.agent.rawValue) },
                write: { if case .string(let v) = $1, let kind = StomperConfiguration.AgentKind(rawValue: v) { $0.agent = kind } }),
            Setting(
                key: "fix.max_attempts", affectsResults: true, onResume: .keepRun, kind: .int(1...20),
                help: "attempts per file and agent; later attempts are told what is left",
                read: { .int($0.maxAttempts) }, write: { if case .int(let v) = $1 { $0.maxAttempts = v } }),
            Setting(
                key: "fix.land_partial", affectsResults: true, onResume: .keepRun, kind: .bool,
                help: "commit verified fixes that remove some targeted diagnostics, add none, leave others (false: all or nothing)",
                read: { .bool($0.landPartial) }, write: { if case .bool(let v) = $1 { $0.landPartial = v } }),
            Setting(
                key: "fix.allowed_paths", affectsResults: true, onResume: .keepRun, kind: .strings, help: "extra paths a fix may touch",
                read: { .strings($0.allowedPaths) }, write: { if case .strings(let v) = $1 { $0.allowedPaths = v } }),
            Setting(
                key: "fix.mode", affectsResults: false, onResume: .takeToday, kind: .choice(["interactive", "batch"]),
                help: "lock waits for people or for CI",
                read: { .string($0.interactive ? "interactive" : "batch") },
                write: { if case .string(let v) = $1 { $0.interactive = v == "interactive" } }),
            Setting(
                key: "agent.timeout_sec", affectsResults: false, onResume: .takeToday, kind: .int(1...86_400),
                help: "longest one agent attempt may run (a chat request too)",
                read: { .int($0.agentTimeoutSeconds) }, write: { if case .int(let v) = $1 { $0.agentTimeoutSeconds = v } }),
            Setting(
                key: "agent.command", affectsResults: true, onResume: .keepRun, kind: .strings, help: "argv template of the command agent",
                read: { .strings($0.command) }, write: { if case .strings(let v) = $1 { $0.command = v } }),
            Setting(
                key: "agent.unsafe_fixes", affectsResults: true, onResume: .keepRun, kind: .bool, help: "let autofix apply unsafe ruff fixes",
                read: { .bool($0.unsafeFixes) }, write: { if case .bool(let v) = $1 { $0.unsafeFixes = v } }),
            Setting(
                key: "agent.sandbox", affectsResults: false, onResume: .takeToday,
                kind: .choice(StomperConfiguration.SandboxKind.allCases.map(\.rawValue)),
                help: "contain agents, linters and tests in worktrees: bwrap (bubblewrap) or none (detection only)",
                read: { .string($0.sandbox.rawValue) },
                write: { if case .string(let v) = $1, let kind = StomperConfiguration.SandboxKind(rawValue: v) { $0.sandbox = kind } }),
            Setting(
                key: "agent.sandbox_writable", affectsResults: false, onResume: .takeToday, kind: .strings,
                help: "extra paths sandboxed processes may write (~ expanded); presets add their CLI's folders",
                read: { .strings($0.sandboxWritable) }, write: { if case .strings(let v) = $1 { $0.sandboxWritable = v } }),
        ] + agents + verification + linters + docs + coordination + ciReports

    static func kinds(_ values: [String]) -> [StomperConfiguration.AgentKind] {
        values.compactMap(StomperConfiguration.AgentKind.init(rawValue:))
    }

    /// `[agent]`: the chain, presets' model, retries, budgets, circuit breaker, learning.
    static let agents: [Setting] = [
        Setting(
            key: "agent.chain", affectsResults: true, onResume: .keepRun, kind: .strings,
            help: "fallback chain, e.g. [\"autofix\", \"claude\"] (empty: fix.agent)",
            read: { .strings($0.agentChain.map(\.rawValue)) }, write: { if case .strings(let v) = $1 { $0.agentChain = kinds(v) } }),
        Setting(
            key: "agent.model", affectsResults: true, onResume: .keepRun, kind: .string,
            help: "model for a preset or the chat agent (empty: the tool's default)",
            read: { .string($0.agentModel) }, write: { if case .string(let v) = $1 { $0.agentModel = v } }),
        Setting(
            key: "agent.executable", affectsResults: false, onResume: .keepRun, kind: .string,
            help: "program a preset runs instead of its default name (a path, or `agent` for newer cursor-agent installs)",
            read: { .string($0.agentExecutable) }, write: { if case .string(let v) = $1 { $0.agentExecutable = v } }),
        Setting(
            key: "agent.prompt_template", affectsResults: true, onResume: .keepRun, kind: .string,
            help: "project prompt template file replacing the built-in one (for `chat`: the user message, with `{{file}}`)",
            read: { .string($0.promptTemplate) }, write: { if case .string(let v) = $1 { $0.promptTemplate = v } }),
        Setting(
            key: "agent.retry_from", affectsResults: true, onResume: .keepRun,
            kind: .choice(StomperConfiguration.RetryStart.allCases.map(\.rawValue)),
            help: "a retry continues from the last attempt or starts clean", read: { .string($0.retryFrom.rawValue) },
            write: { if case .string(let v) = $1, let start = StomperConfiguration.RetryStart(rawValue: v) { $0.retryFrom = start } }),
        Setting(
            key: "agent.max_calls", affectsResults: false, onResume: .takeToday, kind: .int(0...1_000_000),
            help: "agent attempts allowed per run (0: no limit)",
            read: { .int($0.maxAgentCalls) }, write: { if case .int(let v) = $1 { $0.maxAgentCalls = v } }),
        Setting(
            key: "agent.time_budget_sec", affectsResults: false, onResume: .takeToday, kind: .int(0...604_800),
            help: "no attempt starts after this many seconds (0: no limit)",
            read: { .int($0.timeBudgetSeconds) }, write: { if case .int(let v) = $1 { $0.timeBudgetSeconds = v } }),
        Setting(
            key: "agent.breaker_threshold", affectsResults: false, onResume: .takeToday, kind: .int(0...1000),
            help: "consecutive infrastructure failures that stop dispatching (0: never)",
            read: { .int($0.breakerThreshold) }, write: { if case .int(let v) = $1 { $0.breakerThreshold = v } }),
        Setting(
            key: "agent.breaker_cooldown_sec", affectsResults: false, onResume: .takeToday, kind: .int(0...86_400),
            help: "pause before one probe attempt after the breaker opens",
            read: { .int($0.breakerCooldownSeconds) }, write: { if case .int(let v) = $1 { $0.breakerCooldownSeconds = v } }),
        Setting(
            key: "agent.backoff_base_ms", affectsResults: false, onResume: .takeToday, kind: .int(0...600_000),
            help: "first backoff delay after an infrastructure failure",
            read: { .int($0.backoffBaseMilliseconds) }, write: { if case .int(let v) = $1 { $0.backoffBaseMilliseconds = v } }),
        Setting(
            key: "agent.learning", affectsResults: true, onResume: .keepRun, kind: .bool,
            help: "record attempts per code; reorder the chain and add examples from them",
            read: { .bool($0.learning) }, write: { if case .bool(let v) = $1 { $0.learning = v } }),
        Setting(
            key: "agent.learning_examples", affectsResults: true, onResume: .keepRun, kind: .int(0...10),
            help: "past fixes shown per difficult code in the prompt (0: none)",
            read: { .int($0.learningExamples) }, write: { if case .int(let v) = $1 { $0.learningExamples = v } }),
        Setting(
            key: "agent.chat.base_url", affectsResults: false, onResume: .takeToday, kind: .string,
            help: "OpenAI-compatible endpoint; POST {base_url}/chat/completions",
            read: { .string($0.chat.baseURL) }, write: { if case .string(let v) = $1 { $0.chat.baseURL = v } }),
        Setting(
            key: "agent.chat.api_key_env", affectsResults: false, onResume: .takeToday, kind: .string,
            help: "environment variable holding the API key (empty: no key)",
            read: { .string($0.chat.apiKeyVariable ?? "") },
            write: { if case .string(let v) = $1 { $0.chat.apiKeyVariable = v.isEmpty ? nil : v } }),
        Setting(
            key: "agent.chat.max_tokens", affectsResults: true, onResume: .keepRun, kind: .int(0...1_000_000),
            help: "reply token limit sent (0: none)",
            read: { .int($0.chat.maxTokens ?? 0) }, write: { if case .int(let v) = $1 { $0.chat.maxTokens = v == 0 ? nil : v } }),
        Setting(
            key: "agent.chat.max_tokens_field", affectsResults: true, onResume: .keepRun,
            kind: .choice(ChatSettings.TokenLimitField.allCases.map(\.rawValue)),
            help: "max_tokens (most servers) or max_completion_tokens (newer OpenAI models)",
            read: { .string($0.chat.maxTokensField.rawValue) },
            write: { if case .string(let v) = $1, let field = ChatSettings.TokenLimitField(rawValue: v) { $0.chat.maxTokensField = field } }),
        Setting(
            key: "agent.chat.send_temperature", affectsResults: true, onResume: .keepRun, kind: .bool,
            help: "send temperature 0 (off for reasoning models that refuse it)",
            read: { .bool($0.chat.temperature != nil) }, write: { if case .bool(let v) = $1 { $0.chat.temperature = v ? 0 : nil } }),
        Setting(
            key: "agent.chat.max_retries", affectsResults: false, onResume: .takeToday, kind: .int(0...20),
            help: "HTTP retries of 408, 429, 5xx and dropped connections, with backoff",
            read: { .int($0.chat.maxRetries) }, write: { if case .int(let v) = $1 { $0.chat.maxRetries = v } }),
    ]

    /// `[verify]`: the test command and the anti-suppression gate.
    static let verification: [Setting] = [
        Setting(
            key: "verify.test_command", affectsResults: true, onResume: .keepRun, kind: .strings,
            help:
                "run in the worktree after the linters accept a fix; `{file}` is the file, `{test_file}` its test file by verify.test_map (empty: none)",
            read: { .strings($0.testCommand) }, write: { if case .strings(let v) = $1 { $0.testCommand = v } }),
        Setting(
            key: "verify.test_map", affectsResults: true, onResume: .keepRun, kind: .strings,
            help:
                "`REGEX -> TEMPLATE` rules giving a source's `{test_file}` (whole-path match, `$1` … for groups); the first whose file exists wins; a test file is its own",
            read: { .strings($0.testMap) }, write: { if case .strings(let v) = $1 { $0.testMap = v } }),
        Setting(
            key: "verify.test_missing", affectsResults: true, onResume: .keepRun, kind: .choice(TestCommand.WithoutTestFile.allCases.map(\.rawValue)),
            help: "when the command names `{test_file}` and no test file exists: skip the tests, or run the command without that word (all)",
            read: { .string($0.testMissing.rawValue) },
            write: { if case .string(let v) = $1, let value = TestCommand.WithoutTestFile(rawValue: v) { $0.testMissing = value } }),
        Setting(
            key: "verify.test_scope", affectsResults: true, onResume: .keepRun, kind: .choice(TestCommand.Scope.allCases.map(\.rawValue)),
            help:
                "when the test command runs: after each fix with `{file}`/`{test_file}` (file), after each fix whole (all), or once at the end, bisecting and reverting the fixes that broke it (final)",
            read: { .string($0.testScope.rawValue) },
            write: { if case .string(let v) = $1, let value = TestCommand.Scope(rawValue: v) { $0.testScope = value } }),
        Setting(
            key: "verify.test_timeout_sec", affectsResults: false, onResume: .takeToday, kind: .int(1...86_400),
            help: "longest the test command may run",
            read: { .int($0.testTimeoutSeconds) }, write: { if case .int(let v) = $1 { $0.testTimeoutSeconds = v } }),
        Setting(
            key: "verify.gate", affectsResults: true, onResume: .keepRun, kind: .bool,
            help: "reject added suppressions, config edits, deleted or skipped tests (`--no-gate` for one run)",
            read: { .bool($0.gate) }, write: { if case .bool(let v) = $1 { $0.gate = v } }),
        Setting(
            key: "verify.gate_allow", affectsResults: true, onResume: .keepRun, kind: .strings,
            help: "gate rules to let through (see docs/AGENTS.md)",
            read: { .strings($0.gateAllow) }, write: { if case .strings(let v) = $1 { $0.gateAllow = v } }),
    ]

    /// `[linters]`: which linters run, and the tools' executables and arguments.
    static let linters: [Setting] = [
        Setting(
            key: "linters.enabled", affectsResults: true, onResume: .keepRun, kind: .strings,
            help: "ruff, ruff-format, mypy, shellcheck (plus [[quality.*]] tools)",
            read: { .strings($0.linters) }, write: { if case .strings(let v) = $1 { $0.linters = v } }),
        Setting(
            key: "linters.ruff.executable", affectsResults: false, onResume: .keepRun, kind: .string,
            help: "the ruff executable (also for ruff-format); a pyenv or asdf shim is resolved once per run",
            read: { .string($0.ruffExecutable) }, write: { if case .string(let v) = $1 { $0.ruffExecutable = v } }),
        Setting(
            key: "linters.ruff.args", affectsResults: true, onResume: .keepRun, kind: .strings, help: "extra arguments for ruff check",
            read: { .strings($0.ruffArguments) }, write: { if case .strings(let v) = $1 { $0.ruffArguments = v } }),
        Setting(
            key: "linters.ruff.batch", affectsResults: false, onResume: .takeToday, kind: .bool,
            help:
                "lint the files whose fixes are ready at the same moment with one ruff process (worktrees with the project's ruff configuration at their top); same diagnostics, fewer processes",
            read: { .bool($0.ruffBatch) }, write: { if case .bool(let v) = $1 { $0.ruffBatch = v } }),
        Setting(
            key: "linters.mypy.executable", affectsResults: false, onResume: .keepRun, kind: .string, help: "mypy executable",
            read: { .string($0.mypyExecutable) }, write: { if case .string(let v) = $1 { $0.mypyExecutable = v } }),
        Setting(
            key: "linters.mypy.args", affectsResults: true, onResume: .keepRun, kind: .strings, help: "extra arguments for mypy",
            read: { .strings($0.mypyArguments) }, write: { if case .strings(let v) = $1 { $0.mypyArguments = v } }),
        Setting(
            key: "linters.mypy.cache", affectsResults: false, onResume: .takeToday, kind: .bool,
            help:
                "keep mypy's incremental cache in .git/stomper/mypy-cache, one per worktree seeded from planning's (same diagnostics as a cold run, re-checks only what a fix touched)",
            read: { .bool($0.mypyCache) }, write: { if case .bool(let v) = $1 { $0.mypyCache = v } }),
        Setting(
            key: "linters.shellcheck.executable", affectsResults: false, onResume: .keepRun, kind: .string, help: "shellcheck executable",
            read: { .string($0.shellcheckExecutable) }, write: { if case .string(let v) = $1 { $0.shellcheckExecutable = v } }),
        Setting(
            key: "linters.shellcheck.args", affectsResults: true, onResume: .keepRun, kind: .strings, help: "extra arguments for shellcheck",
            read: { .strings($0.shellcheckArguments) }, write: { if case .strings(let v) = $1 { $0.shellcheckArguments = v } }),
    ]

    /// `[docs]`: docgen after fix runs and for `stomper docgen`.
    static let docs: [Setting] = [
        Setting(
            key: "docs.enabled", affectsResults: false, onResume: .keepRun, kind: .bool, help: "refresh the existing docs of the files a run landed",
            read: { .bool($0.docs.enabled) }, write: { if case .bool(let v) = $1 { $0.docs.enabled = v } }),
        Setting(
            key: "docs.generate_missing", affectsResults: false, onResume: .keepRun, kind: .bool,
            help: "after a fix run, also write docs for changed files that have none (default: only existing docs are refreshed)",
            read: { .bool($0.docs.generateMissing) }, write: { if case .bool(let v) = $1 { $0.docs.generateMissing = v } }),
        Setting(
            key: "docs.folder", affectsResults: false, onResume: .keepRun, kind: .string, help: "folder of generated docs, relative to the root",
            read: { .string($0.docs.folder) }, write: { if case .string(let v) = $1 { $0.docs.folder = v } }),
        Setting(
            key: "docs.generator", affectsResults: false, onResume: .keepRun, kind: .choice(DocgenSettings.GeneratorKind.allCases.map(\.rawValue)),
            help: "outline (built in) or command", read: { .string($0.docs.generator.rawValue) },
            write: { if case .string(let v) = $1, let kind = DocgenSettings.GeneratorKind(rawValue: v) { $0.docs.generator = kind } }),
        Setting(
            key: "docs.command", affectsResults: false, onResume: .keepRun, kind: .strings,
            help: "argv of the command generator (`{file}`, `{abs_file}`, `{workdir}`, `{hash}`)",
            read: { .strings($0.docs.command) }, write: { if case .strings(let v) = $1 { $0.docs.command = v } }),
        Setting(
            key: "docs.timeout_sec", affectsResults: false, onResume: .keepRun, kind: .int(1...86_400),
            help: "longest one command generator run may take",
            read: { .int($0.docs.timeoutSeconds) }, write: { if case .int(let v) = $1 { $0.docs.timeoutSeconds = v } }),
        Setting(
            key: "docs.history_size", affectsResults: false, onResume: .keepRun, kind: .int(1...100_000), help: "docgen results kept in history",
            read: { .int($0.docs.historySize) }, write: { if case .int(let v) = $1 { $0.docs.historySize = v } }),
    ]

    /// `[maasl]`: the anti-stomp layer's switch and mode, and `[maasl.resource.<CLASS>]` per class.
    static let coordination: [Setting] =
        [
            Setting(
                key: "maasl.enabled", affectsResults: false, onResume: .takeToday, kind: .bool,
                help: "take leases and fence writes (off: one run at a time)",
                read: { .bool($0.coordination.enabled) }, write: { if case .bool(let v) = $1 { $0.coordination.enabled = v } }),
            Setting(
                key: "maasl.mode", affectsResults: false, onResume: .takeToday,
                kind: .choice(CoordinationPolicy.Enforcement.allCases.map(\.rawValue)),
                help: "enforce leases, or observe (never block, record would-be waits)",
                read: { .string($0.coordination.enforcement.rawValue) },
                write: { if case .string(let v) = $1, let mode = CoordinationPolicy.Enforcement(rawValue: v) { $0.coordination.enforcement = mode } }),
        ]
        + ResourceClass.allCases.flatMap { resourceClass -> [Setting] in
            let section = "maasl.resource.\(resourceClass.rawValue)"
            return [
                Setting(
                    key: section + ".lease_ttl_sec", affectsResults: false, onResume: .takeToday, kind: .int(1...86_400),
                    help: "\(resourceClass.rawValue) lease lifetime without renewal",
                    read: { .int($0.coordination[resourceClass].leaseTTLMilliseconds / 1000) },
                    write: { if case .int(let v) = $1 { $0.coordination[resourceClass].leaseTTLMilliseconds = v * 1000 } }),
                Setting(
                    key: section + ".interactive_max_wait_ms", affectsResults: false, onResume: .takeToday, kind: .int(0...3_600_000),
                    help: "\(resourceClass.rawValue) longest wait in interactive mode",
                    read: { .int($0.coordination[resourceClass].interactiveMaxWaitMilliseconds) },
                    write: { if case .int(let v) = $1 { $0.coordination[resourceClass].interactiveMaxWaitMilliseconds = v } }),
                Setting(
                    key: section + ".batch_max_wait_ms", affectsResults: false, onResume: .takeToday, kind: .int(0...3_600_000),
                    help: "\(resourceClass.rawValue) longest wait in batch mode",
                    read: { .int($0.coordination[resourceClass].batchMaxWaitMilliseconds) },
                    write: { if case .int(let v) = $1 { $0.coordination[resourceClass].batchMaxWaitMilliseconds = v } }),
            ]
        }

    /// `[ci]`: annotations in GitHub Actions (see docs/CI.md).
    static let ciReports: [Setting] = [
        Setting(
            key: "ci.annotation_level", affectsResults: false, onResume: .takeToday,
            kind: .choice(CISettings.AnnotationLevel.allCases.map(\.rawValue)),
            help: "level of the GitHub Actions annotations for diagnostics left: error, warning or notice",
            read: { .string($0.ci.annotationLevel.rawValue) },
            write: { if case .string(let v) = $1, let level = CISettings.AnnotationLevel(rawValue: v) { $0.ci.annotationLevel = level } }),
        Setting(
            key: "ci.annotation_limit", affectsResults: false, onResume: .takeToday, kind: .int(0...1000),
            help: "most annotations per run, most important first (GitHub shows 10 per level and step)",
            read: { .int($0.ci.annotationLimit) }, write: { if case .int(let v) = $1 { $0.ci.annotationLimit = v } }),
    ]

    public static func setting(_ key: String) -> Setting? { all.first { $0.key == key } }
}
