import Foundation
import StomperAgents
import StomperCoordination
import StomperCore
import StomperDocs
import TOMLKit

/// Where a setting's value came from, lowest precedence first.
enum SettingSource: String, Comparable {
    case defaults = "default"
    /// The default under CI (`fix.mode = "batch"`), which a file, variable or flag overrides.
    case ciDefault = "default in CI"
    case file = "stomper.toml"
    /// The `[tool.stomper]` table of `pyproject.toml`, read when there is no `stomper.toml`.
    case pyproject = "pyproject.toml [tool.stomper]"
    case environment = "environment"
    case flag = "flag"

    private var rank: Int {
        switch self {
        case .defaults: return 0
        case .ciDefault: return 1
        case .file, .pyproject: return 2
        case .environment: return 3
        case .flag: return 4
        }
    }
    static func < (lhs: SettingSource, rhs: SettingSource) -> Bool { lhs.rank < rhs.rank }
}

/// A value as written in a config file, an environment variable or a flag.
enum SettingValue: Equatable, Sendable {
    case int(Int)
    case bool(Bool)
    case string(String)
    case strings([String])

    var toml: String {
        switch self {
        case .int(let value): return String(value)
        case .bool(let value): return value ? "true" : "false"
        case .string(let value): return Self.quoted(value)
        case .strings(let values): return "[" + values.map(Self.quoted).joined(separator: ", ") + "]"
        }
    }

    /// A TOML basic string. JSON's string escapes are all valid in TOML basic strings, so the
    /// canonical JSON encoding serves.
    static func quoted(_ text: String) -> String {
        CanonicalJSON.string(text).text
    }

    var json: Any {
        switch self {
        case .int(let value): return value
        case .bool(let value): return value
        case .string(let value): return value
        case .strings(let values): return values
        }
    }
}

/// One configuration key: its name in `stomper.toml` (`fix.parallel`), its environment variable
/// (`STOMPER_FIX_PARALLEL`), its type, how it is checked and where it goes in the configuration.
struct Setting: Sendable {
    enum Kind: Sendable { case int(ClosedRange<Int>), bool, string, choice([String]), strings }

    let key: String
    let kind: Kind
    let help: String
    let read: @Sendable (StomperConfiguration) -> SettingValue
    let write: @Sendable (inout StomperConfiguration, SettingValue) -> Void

    var environmentName: String {
        "STOMPER_" + key.uppercased().replacingOccurrences(of: ".", with: "_")
    }

    var section: String { String(key[..<key.lastIndex(of: ".")!]) }
    var name: String { String(key[key.index(after: key.lastIndex(of: ".")!)...]) }

    /// Checks a value's type and range; the message names the key, the source and the fix.
    func validate(_ value: SettingValue, source: String) throws -> SettingValue {
        switch (kind, value) {
        case (.int(let range), .int(let number)):
            guard range.contains(number) else {
                throw ConfigError("\(key) = \(number) in \(source) is out of range: use a number from \(range.lowerBound) to \(range.upperBound)")
            }
            return value
        case (.strings, .strings(let values)) where key == "agent.chain":
            let known = StomperConfiguration.AgentKind.allCases.map(\.rawValue)
            if let bad = values.first(where: { !known.contains($0) }) {
                throw ConfigError("agent.chain in \(source) names an unknown agent \"\(bad)\": use \(known.joined(separator: ", "))")
            }
            return value
        case (.strings, .strings(let values)) where key == "linters.enabled":
            let known = ["ruff", "ruff-format", "mypy", "shellcheck"]
            if let bad = values.first(where: { !known.contains($0) }) {
                throw ConfigError("linters.enabled in \(source) names an unknown linter \"\(bad)\": use \(known.joined(separator: ", ")), "
                                  + "or add the tool as [[quality.sarif]] or [[quality.pattern]]")
            }
            return value
        case (.bool, .bool), (.string, .string), (.strings, .strings):
            return value
        case (.choice(let choices), .string(let text)):
            guard choices.contains(text) else {
                throw ConfigError("\(key) = \"\(text)\" in \(source) is not valid: use one of \(choices.joined(separator: ", "))")
            }
            return value
        default:
            throw ConfigError("\(key) in \(source) has the wrong type: expected \(typeName)")
        }
    }

    var typeName: String {
        switch kind {
        case .int: return "an integer"
        case .bool: return "true or false"
        case .string: return "a string"
        case .choice(let choices): return "one of " + choices.map { "\"\($0)\"" }.joined(separator: ", ")
        case .strings: return "an array of strings"
        }
    }

    /// Parses an environment variable's text as this setting's type.
    func parse(environment text: String) throws -> SettingValue {
        let source = "environment variable \(environmentName)"
        switch kind {
        case .int:
            guard let number = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw ConfigError("\(source)=\(text) is not an integer")
            }
            return try validate(.int(number), source: source)
        case .bool:
            switch text.lowercased() {
            case "1", "true", "yes", "on": return .bool(true)
            case "0", "false", "no", "off": return .bool(false)
            default: throw ConfigError("\(source)=\(text) is not a boolean: use true or false")
            }
        case .string, .choice:
            return try validate(.string(text), source: source)
        case .strings:
            guard let data = text.data(using: .utf8), let array = try? JSONDecoder().decode([String].self, from: data) else {
                throw ConfigError("\(source) must be a JSON array of strings, e.g. [\"a\", \"b\"]")
            }
            return try validate(.strings(array), source: source)
        }
    }
}

/// A configuration problem: exit status 2, with a message that says what to change.
struct ConfigError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum Settings {
    static let all: [Setting] = [
        Setting(key: "fix.parallel", kind: .int(1...64), help: "files worked on at once",
                read: { .int($0.maxParallelFiles) }, write: { if case .int(let v) = $1 { $0.maxParallelFiles = v } }),
        Setting(key: "fix.keep_worktrees", kind: .bool, help: "keep the worktrees for the next run (no checkout then)",
                read: { .bool($0.keepWorktrees) }, write: { if case .bool(let v) = $1 { $0.keepWorktrees = v } }),
        Setting(key: "fix.branch", kind: .string, help: "commit fixes onto this branch only, HEAD and working tree untouched",
                read: { .string($0.fixBranch) }, write: { if case .string(let v) = $1 { $0.fixBranch = v } }),
        Setting(key: "fix.agent", kind: .choice(StomperConfiguration.AgentKind.allCases.map(\.rawValue)),
                help: "which agent fixes files", read: { .string($0.agent.rawValue) },
                write: { if case .string(let v) = $1, let kind = StomperConfiguration.AgentKind(rawValue: v) { $0.agent = kind } }),
        Setting(key: "fix.max_attempts", kind: .int(1...20), help: "attempts per file",
                read: { .int($0.maxAttempts) }, write: { if case .int(let v) = $1 { $0.maxAttempts = v } }),
        Setting(key: "fix.land_partial", kind: .bool, help: "commit fixes that leave some diagnostics",
                read: { .bool($0.landPartial) }, write: { if case .bool(let v) = $1 { $0.landPartial = v } }),
        Setting(key: "fix.allowed_paths", kind: .strings, help: "extra paths a fix may touch",
                read: { .strings($0.allowedPaths) }, write: { if case .strings(let v) = $1 { $0.allowedPaths = v } }),
        Setting(key: "fix.mode", kind: .choice(["interactive", "batch"]), help: "lock waits for people or for CI",
                read: { .string($0.interactive ? "interactive" : "batch") },
                write: { if case .string(let v) = $1 { $0.interactive = v == "interactive" } }),
        Setting(key: "agent.timeout_sec", kind: .int(1...86_400), help: "longest one agent attempt may run",
                read: { .int($0.agentTimeoutSeconds) }, write: { if case .int(let v) = $1 { $0.agentTimeoutSeconds = v } }),
        Setting(key: "agent.command", kind: .strings, help: "argv template of the command agent",
                read: { .strings($0.command) }, write: { if case .strings(let v) = $1 { $0.command = v } }),
        Setting(key: "agent.unsafe_fixes", kind: .bool, help: "let autofix apply unsafe fixes",
                read: { .bool($0.unsafeFixes) }, write: { if case .bool(let v) = $1 { $0.unsafeFixes = v } }),
        Setting(key: "agent.sandbox", kind: .choice(StomperConfiguration.SandboxKind.allCases.map(\.rawValue)),
                help: "contain agents, linters and tests in worktrees: bwrap (bubblewrap) or none (detection only)",
                read: { .string($0.sandbox.rawValue) },
                write: { if case .string(let v) = $1, let kind = StomperConfiguration.SandboxKind(rawValue: v) { $0.sandbox = kind } }),
        Setting(key: "agent.sandbox_writable", kind: .strings, help: "extra paths sandboxed processes may write (~ expanded)",
                read: { .strings($0.sandboxWritable) }, write: { if case .strings(let v) = $1 { $0.sandboxWritable = v } }),
    ] + agents + verification + linters + docs + coordination + ciReports

    static func kinds(_ values: [String]) -> [StomperConfiguration.AgentKind] {
        values.compactMap(StomperConfiguration.AgentKind.init(rawValue:))
    }

    /// `[agent]`: the chain, presets' model, retries, budgets, circuit breaker, learning.
    static let agents: [Setting] = [
        Setting(key: "agent.chain", kind: .strings, help: "fallback chain, e.g. [\"autofix\", \"claude\"] (empty: fix.agent)",
                read: { .strings($0.agentChain.map(\.rawValue)) }, write: { if case .strings(let v) = $1 { $0.agentChain = kinds(v) } }),
        Setting(key: "agent.model", kind: .string, help: "model for a preset or the chat agent (empty: the tool's default)",
                read: { .string($0.agentModel) }, write: { if case .string(let v) = $1 { $0.agentModel = v } }),
        Setting(key: "agent.executable", kind: .string, help: "program a preset runs instead of its default (empty: the preset's)",
                read: { .string($0.agentExecutable) }, write: { if case .string(let v) = $1 { $0.agentExecutable = v } }),
        Setting(key: "agent.prompt_template", kind: .string, help: "project prompt template file replacing the built-in one",
                read: { .string($0.promptTemplate) }, write: { if case .string(let v) = $1 { $0.promptTemplate = v } }),
        Setting(key: "agent.retry_from", kind: .choice(StomperConfiguration.RetryStart.allCases.map(\.rawValue)),
                help: "a retry continues from the last attempt or starts clean", read: { .string($0.retryFrom.rawValue) },
                write: { if case .string(let v) = $1, let start = StomperConfiguration.RetryStart(rawValue: v) { $0.retryFrom = start } }),
        Setting(key: "agent.max_calls", kind: .int(0...1_000_000), help: "agent attempts allowed per run (0: no limit)",
                read: { .int($0.maxAgentCalls) }, write: { if case .int(let v) = $1 { $0.maxAgentCalls = v } }),
        Setting(key: "agent.time_budget_sec", kind: .int(0...604_800), help: "no attempt starts after this many seconds (0: no limit)",
                read: { .int($0.timeBudgetSeconds) }, write: { if case .int(let v) = $1 { $0.timeBudgetSeconds = v } }),
        Setting(key: "agent.breaker_threshold", kind: .int(0...1000), help: "consecutive infrastructure failures that stop dispatching (0: never)",
                read: { .int($0.breakerThreshold) }, write: { if case .int(let v) = $1 { $0.breakerThreshold = v } }),
        Setting(key: "agent.breaker_cooldown_sec", kind: .int(0...86_400), help: "pause before one probe attempt after the breaker opens",
                read: { .int($0.breakerCooldownSeconds) }, write: { if case .int(let v) = $1 { $0.breakerCooldownSeconds = v } }),
        Setting(key: "agent.backoff_base_ms", kind: .int(0...600_000), help: "first backoff delay after an infrastructure failure",
                read: { .int($0.backoffBaseMilliseconds) }, write: { if case .int(let v) = $1 { $0.backoffBaseMilliseconds = v } }),
        Setting(key: "agent.learning", kind: .bool, help: "record attempts per code; reorder the chain and add examples from them",
                read: { .bool($0.learning) }, write: { if case .bool(let v) = $1 { $0.learning = v } }),
        Setting(key: "agent.learning_examples", kind: .int(0...10), help: "past fixes shown per difficult code",
                read: { .int($0.learningExamples) }, write: { if case .int(let v) = $1 { $0.learningExamples = v } }),
        Setting(key: "agent.chat.base_url", kind: .string, help: "OpenAI-compatible endpoint; POST {base_url}/chat/completions",
                read: { .string($0.chat.baseURL) }, write: { if case .string(let v) = $1 { $0.chat.baseURL = v } }),
        Setting(key: "agent.chat.api_key_env", kind: .string, help: "environment variable holding the API key (empty: no key)",
                read: { .string($0.chat.apiKeyVariable ?? "") },
                write: { if case .string(let v) = $1 { $0.chat.apiKeyVariable = v.isEmpty ? nil : v } }),
        Setting(key: "agent.chat.max_tokens", kind: .int(0...1_000_000), help: "reply token limit sent (0: none)",
                read: { .int($0.chat.maxTokens ?? 0) }, write: { if case .int(let v) = $1 { $0.chat.maxTokens = v == 0 ? nil : v } }),
        Setting(key: "agent.chat.max_tokens_field", kind: .choice(ChatSettings.TokenLimitField.allCases.map(\.rawValue)),
                help: "max_tokens (most servers) or max_completion_tokens (newer OpenAI models)",
                read: { .string($0.chat.maxTokensField.rawValue) },
                write: { if case .string(let v) = $1, let field = ChatSettings.TokenLimitField(rawValue: v) { $0.chat.maxTokensField = field } }),
        Setting(key: "agent.chat.send_temperature", kind: .bool, help: "send temperature 0 (off for reasoning models that refuse it)",
                read: { .bool($0.chat.temperature != nil) }, write: { if case .bool(let v) = $1 { $0.chat.temperature = v ? 0 : nil } }),
        Setting(key: "agent.chat.max_retries", kind: .int(0...20), help: "HTTP retries of 408, 429, 5xx and dropped connections, with backoff",
                read: { .int($0.chat.maxRetries) }, write: { if case .int(let v) = $1 { $0.chat.maxRetries = v } }),
    ]

    /// `[verify]`: the test command and the anti-suppression gate.
    static let verification: [Setting] = [
        Setting(key: "verify.test_command", kind: .strings, help: "run after each fix, {file} is the file (empty: none)",
                read: { .strings($0.testCommand) }, write: { if case .strings(let v) = $1 { $0.testCommand = v } }),
        Setting(key: "verify.test_timeout_sec", kind: .int(1...86_400), help: "longest the test command may run",
                read: { .int($0.testTimeoutSeconds) }, write: { if case .int(let v) = $1 { $0.testTimeoutSeconds = v } }),
        Setting(key: "verify.gate", kind: .bool, help: "reject added suppressions, config edits, deleted or skipped tests",
                read: { .bool($0.gate) }, write: { if case .bool(let v) = $1 { $0.gate = v } }),
        Setting(key: "verify.gate_allow", kind: .strings, help: "gate rules to let through (see docs/AGENTS.md)",
                read: { .strings($0.gateAllow) }, write: { if case .strings(let v) = $1 { $0.gateAllow = v } }),
    ]

    /// `[linters]`: which linters run, and the tools' executables and arguments.
    static let linters: [Setting] = [
        Setting(key: "linters.enabled", kind: .strings, help: "ruff, ruff-format, mypy, shellcheck (plus [[quality.*]] tools)",
                read: { .strings($0.linters) }, write: { if case .strings(let v) = $1 { $0.linters = v } }),
        Setting(key: "linters.ruff.executable", kind: .string, help: "ruff executable",
                read: { .string($0.ruffExecutable) }, write: { if case .string(let v) = $1 { $0.ruffExecutable = v } }),
        Setting(key: "linters.ruff.args", kind: .strings, help: "extra arguments for ruff check",
                read: { .strings($0.ruffArguments) }, write: { if case .strings(let v) = $1 { $0.ruffArguments = v } }),
        Setting(key: "linters.mypy.executable", kind: .string, help: "mypy executable",
                read: { .string($0.mypyExecutable) }, write: { if case .string(let v) = $1 { $0.mypyExecutable = v } }),
        Setting(key: "linters.mypy.args", kind: .strings, help: "extra arguments for mypy",
                read: { .strings($0.mypyArguments) }, write: { if case .strings(let v) = $1 { $0.mypyArguments = v } }),
        Setting(key: "linters.shellcheck.executable", kind: .string, help: "shellcheck executable",
                read: { .string($0.shellcheckExecutable) }, write: { if case .string(let v) = $1 { $0.shellcheckExecutable = v } }),
        Setting(key: "linters.shellcheck.args", kind: .strings, help: "extra arguments for shellcheck",
                read: { .strings($0.shellcheckArguments) }, write: { if case .strings(let v) = $1 { $0.shellcheckArguments = v } }),
    ]

    /// `[docs]`: docgen after fix runs and for `stomper docgen`.
    static let docs: [Setting] = [
        Setting(key: "docs.enabled", kind: .bool, help: "regenerate docs of changed files after a fix run",
                read: { .bool($0.docs.enabled) }, write: { if case .bool(let v) = $1 { $0.docs.enabled = v } }),
        Setting(key: "docs.generate_missing", kind: .bool,
                help: "after a fix run, also write docs for changed files that have none (default: only existing docs are refreshed)",
                read: { .bool($0.docs.generateMissing) }, write: { if case .bool(let v) = $1 { $0.docs.generateMissing = v } }),
        Setting(key: "docs.folder", kind: .string, help: "folder of generated docs, relative to the root",
                read: { .string($0.docs.folder) }, write: { if case .string(let v) = $1 { $0.docs.folder = v } }),
        Setting(key: "docs.generator", kind: .choice(DocgenSettings.GeneratorKind.allCases.map(\.rawValue)),
                help: "outline (built in) or command", read: { .string($0.docs.generator.rawValue) },
                write: { if case .string(let v) = $1, let kind = DocgenSettings.GeneratorKind(rawValue: v) { $0.docs.generator = kind } }),
        Setting(key: "docs.command", kind: .strings, help: "argv of the command generator",
                read: { .strings($0.docs.command) }, write: { if case .strings(let v) = $1 { $0.docs.command = v } }),
        Setting(key: "docs.timeout_sec", kind: .int(1...86_400), help: "longest one command generator run may take",
                read: { .int($0.docs.timeoutSeconds) }, write: { if case .int(let v) = $1 { $0.docs.timeoutSeconds = v } }),
        Setting(key: "docs.history_size", kind: .int(1...100_000), help: "docgen results kept in history",
                read: { .int($0.docs.historySize) }, write: { if case .int(let v) = $1 { $0.docs.historySize = v } }),
    ]

    /// `[maasl]`: the anti-stomp layer's switch and mode, and `[maasl.resource.<CLASS>]` per class.
    static let coordination: [Setting] = [
        Setting(key: "maasl.enabled", kind: .bool, help: "take leases and fence writes (off: one run at a time)",
                read: { .bool($0.coordination.enabled) }, write: { if case .bool(let v) = $1 { $0.coordination.enabled = v } }),
        Setting(key: "maasl.mode", kind: .choice(CoordinationPolicy.Enforcement.allCases.map(\.rawValue)),
                help: "enforce leases, or only observe and record would-be waits",
                read: { .string($0.coordination.enforcement.rawValue) },
                write: { if case .string(let v) = $1, let mode = CoordinationPolicy.Enforcement(rawValue: v) { $0.coordination.enforcement = mode } }),
    ] + ResourceClass.allCases.flatMap { resourceClass -> [Setting] in
        let section = "maasl.resource.\(resourceClass.rawValue)"
        return [
            Setting(key: section + ".lease_ttl_sec", kind: .int(1...86_400), help: "\(resourceClass.rawValue) lease lifetime without renewal",
                    read: { .int($0.coordination[resourceClass].leaseTTLMilliseconds / 1000) },
                    write: { if case .int(let v) = $1 { $0.coordination[resourceClass].leaseTTLMilliseconds = v * 1000 } }),
            Setting(key: section + ".interactive_max_wait_ms", kind: .int(0...3_600_000),
                    help: "\(resourceClass.rawValue) longest wait in interactive mode",
                    read: { .int($0.coordination[resourceClass].interactiveMaxWaitMilliseconds) },
                    write: { if case .int(let v) = $1 { $0.coordination[resourceClass].interactiveMaxWaitMilliseconds = v } }),
            Setting(key: section + ".batch_max_wait_ms", kind: .int(0...3_600_000), help: "\(resourceClass.rawValue) longest wait in batch mode",
                    read: { .int($0.coordination[resourceClass].batchMaxWaitMilliseconds) },
                    write: { if case .int(let v) = $1 { $0.coordination[resourceClass].batchMaxWaitMilliseconds = v } }),
        ]
    }

    /// `[ci]`: annotations in GitHub Actions (see docs/CI.md).
    static let ciReports: [Setting] = [
        Setting(key: "ci.annotation_level", kind: .choice(CISettings.AnnotationLevel.allCases.map(\.rawValue)),
                help: "level of the GitHub Actions annotations for diagnostics left: error, warning or notice",
                read: { .string($0.ci.annotationLevel.rawValue) },
                write: { if case .string(let v) = $1, let level = CISettings.AnnotationLevel(rawValue: v) { $0.ci.annotationLevel = level } }),
        Setting(key: "ci.annotation_limit", kind: .int(0...1000),
                help: "most annotations per run, most important first (GitHub shows 10 per level and step)",
                read: { .int($0.ci.annotationLimit) }, write: { if case .int(let v) = $1 { $0.ci.annotationLimit = v } }),
    ]

    static func setting(_ key: String) -> Setting? { all.first { $0.key == key } }
}

/// The configuration after merging defaults < stomper.toml < STOMPER_* < flags, with the source
/// of every value (for `stomper config dump`).
struct ResolvedConfiguration {
    var configuration = StomperConfiguration()
    var sources: [String: SettingSource] = [:]
    var file: String?
    /// Whether `file` is a `stomper.toml` or a `pyproject.toml` whose `[tool.stomper]` was read.
    var fileSource: SettingSource = .file
    var warnings: [String] = []

    init() {}

    /// A configuration that was already resolved (a run's stored settings).
    init(configuration: StomperConfiguration) {
        self.configuration = configuration
    }

    /// Loads the layers. `flags` are already-typed values from the command line.
    static func load(root: String, explicitFile: String?, environment: [String: String],
                     flags: [String: SettingValue]) throws -> ResolvedConfiguration {
        var resolved = ResolvedConfiguration()
        for setting in Settings.all { resolved.sources[setting.key] = .defaults }
        // CI has nobody to wait for: lock waits are batch ones unless a layer below sets the mode.
        if CIEnvironment(environment: environment).isCI { resolved.set("fix.mode", .string("batch"), from: .ciDefault) }
        if let (path, source) = try configFile(root: root, explicitFile: explicitFile, warnings: &resolved.warnings) {
            resolved.file = path
            resolved.fileSource = source
            let (values, tools) = try fileValues(path, pyproject: source == .pyproject)
            for (key, value) in values {
                resolved.set(key, value, from: source)
            }
            resolved.configuration.sarif = tools.sarif
            resolved.configuration.patterns = tools.patterns
        }
        let known = Set(Settings.all.map(\.environmentName))
        // STOMPER_CI switches CI detection (CIEnvironment); it is not a setting.
        for (name, text) in environment where name.hasPrefix("STOMPER_") && name != "STOMPER_CI" {
            guard known.contains(name), let setting = Settings.all.first(where: { $0.environmentName == name }) else {
                resolved.warnings.append("ignoring unknown environment variable \(name) (known: \(known.sorted().joined(separator: ", ")))")
                continue
            }
            resolved.set(setting.key, try setting.parse(environment: text), from: .environment)
        }
        for (key, value) in flags {
            guard let setting = Settings.setting(key) else { continue }
            resolved.set(key, try setting.validate(value, source: "the command line"), from: .flag)
        }
        return resolved
    }

    /// The configuration file to read, if any: `--config FILE` (a `pyproject.toml` by that name
    /// is read for its `[tool.stomper]`), else `stomper.toml` at the root, else the root's
    /// `pyproject.toml` when it has a `[tool.stomper]` table. `stomper.toml` wins when both
    /// exist, with a warning that the table is ignored.
    static func configFile(root: String, explicitFile: String?, warnings: inout [String]) throws -> (String, SettingSource)? {
        if let explicitFile {
            guard FileManager.default.fileExists(atPath: explicitFile) else {
                throw ConfigError("config file \(explicitFile) does not exist: check the --config path")
            }
            let isPyproject = (explicitFile as NSString).lastPathComponent == "pyproject.toml"
            return (explicitFile, isPyproject ? .pyproject : .file)
        }
        let stomper = root + "/stomper.toml"
        let pyproject = root + "/pyproject.toml"
        if FileManager.default.fileExists(atPath: stomper) {
            if (try? pyprojectHasTable(pyproject)) == true {
                warnings.append("\(pyproject) has a [tool.stomper] table, which is ignored: \(stomper) takes precedence "
                                + "(move the settings into one of them)")
            }
            return (stomper, .file)
        }
        return try pyprojectHasTable(pyproject) ? (pyproject, .pyproject) : nil
    }

    /// Whether `pyproject.toml` at `path` has a `[tool.stomper]` table. A file that does not
    /// mention stomper is not parsed: a TOML error in it is the other tools' business.
    static func pyprojectHasTable(_ path: String) throws -> Bool {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), text.contains("stomper") else { return false }
        return try parse(text, path: path)["tool"]?.table?["stomper"]?.table != nil
    }

    private static func parse(_ text: String, path: String) throws -> TOMLTable {
        do {
            return try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError("\(path):\(error.source.begin.line):\(error.source.begin.column): \(error.description)")
        }
    }

    mutating func set(_ key: String, _ value: SettingValue, from source: SettingSource) {
        guard let setting = Settings.setting(key) else { return }
        setting.write(&configuration, value)
        sources[key] = source
    }

    /// Reads `stomper.toml` (or `[tool.stomper]` of a `pyproject.toml`), rejecting unknown
    /// sections and keys, and values of the wrong type.
    static func fileValues(_ file: String, pyproject: Bool = false) throws -> ([(String, SettingValue)], QualityTools) {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw ConfigError("cannot read \(file): \(error.localizedDescription)")
        }
        var table = try parse(text, path: file)
        // Messages name the table, so "unknown key … of pyproject.toml [tool.stomper]".
        let path = pyproject ? file + " [tool.stomper]" : file
        if pyproject {
            guard let stomper = table["tool"]?.table?["stomper"]?.table else {
                throw ConfigError("\(file) has no [tool.stomper] table: add one, or run `stomper init --pyproject`")
            }
            table = stomper
        }
        var values: [(String, SettingValue)] = []
        var tools = QualityTools()
        if let quality = table["quality"] {
            tools = try QualityTools(quality, path: path)
        }
        try collect(table, prefix: "", path: path, into: &values)
        return (values, tools)
    }

    private static func collect(_ table: TOMLTable, prefix: String, path: String, into values: inout [(String, SettingValue)]) throws {
        for key in table.keys.sorted() where !(prefix.isEmpty && key == "quality") {
            let fullKey = prefix.isEmpty ? key : prefix + "." + key
            guard let value = table[key] else { continue }
            if let nested = value.table {
                guard Settings.all.contains(where: { $0.key.hasPrefix(fullKey + ".") }) else {
                    throw ConfigError("unknown section [\(fullKey)] in \(path): known sections are \(knownSections)")
                }
                try collect(nested, prefix: fullKey, path: path, into: &values)
                continue
            }
            guard let setting = Settings.setting(fullKey) else {
                let section = prefix.isEmpty ? "the top level" : "[\(prefix)]"
                let known = Settings.all.filter { $0.section == prefix }.map(\.name)
                throw ConfigError("unknown key \"\(key)\" in \(section) of \(path)"
                                  + (known.isEmpty ? "" : ": known keys there are \(known.joined(separator: ", "))")
                                  + "; see Config/stomper.toml for every setting")
            }
            let parsed: SettingValue
            if let number = value.int, value.type == .int {
                parsed = .int(number)
            } else if let flag = value.bool, value.type == .bool {
                parsed = .bool(flag)
            } else if let string = value.string, value.type == .string {
                parsed = .string(string)
            } else if let array = value.array {
                var strings: [String] = []
                for element in array {
                    guard let string = element.string else {
                        throw ConfigError("\(fullKey) in \(path) has the wrong type: expected \(setting.typeName)")
                    }
                    strings.append(string)
                }
                parsed = .strings(strings)
            } else {
                throw ConfigError("\(fullKey) in \(path) has the wrong type: expected \(setting.typeName)")
            }
            values.append((fullKey, try setting.validate(parsed, source: path)))
        }
    }

    static var knownSections: String {
        Array(Set(Settings.all.map { "[\($0.section)]" })).sorted().joined(separator: ", ")
    }

    /// The merged configuration as TOML, each value annotated with where it came from.
    func dumpTOML() -> String {
        var output = "# stomper configuration (defaults < stomper.toml or pyproject.toml [tool.stomper] < STOMPER_* environment < flags)\n"
        if let file { output += "# file: \(file)\(fileSource == .pyproject ? " [tool.stomper]" : "")\n" }
        var currentSection = ""
        for setting in Settings.all {
            if setting.section != currentSection {
                currentSection = setting.section
                output += "\n[\(currentSection)]\n"
            }
            let source = sources[setting.key] ?? .defaults
            output += "\(setting.name) = \(setting.read(configuration).toml)  # \(source.rawValue)\n"
        }
        return output
    }

    func dumpJSON() -> [String: Any] {
        var settings: [String: Any] = [:]
        for setting in Settings.all {
            settings[setting.key] = ["value": setting.read(configuration).json, "source": (sources[setting.key] ?? .defaults).rawValue]
        }
        return ["file": file as Any, "settings": settings]
    }
}
