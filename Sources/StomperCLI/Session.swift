import Foundation
import Logging
import StomperAgents
import StomperCoordination
import StomperCore
import StomperGit
import StomperLedger
import StomperProcess
import StomperQuality

/// Everything a subcommand needs after parsing: the repository, the merged configuration, the
/// linter and agent it describes, and a logger. Building it is where environment errors surface.
struct Session {
    let repository: GitRepository
    let resolved: ResolvedConfiguration
    let logger: Logger

    var configuration: StomperConfiguration { resolved.configuration }

    static func open(_ options: GlobalOptions, flags: [String: SettingValue]) throws -> Session {
        var logger = Logger(label: "stomper")
        logger.logLevel = options.verbose ? .debug : .warning
        let start = options.startDirectory
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: start, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ConfigError("directory \(start) does not exist: check the -C/--directory path")
        }
        let repository = try GitRepository.discover(from: start)
        let resolved = try ResolvedConfiguration.load(
            root: repository.workdir, explicitFile: options.config, environment: ProcessInfo.processInfo.environment,
            flags: flags)
        for warning in resolved.warnings { Terminal.warn(warning) }
        return Session(repository: repository, resolved: resolved, logger: logger)
    }

    /// The ledger, waiting for another process's write at most CRIT_DB's maximum wait.
    func openLedger() throws -> Ledger {
        try Ledger.open(commonDir: repository.commonDir,
                        maxWait: configuration.coordination[.critDB].maxWait(configuration.operationMode))
    }

    /// The pipeline this session's configuration describes. `toolVersions` are asked of the tools
    /// unless given (a resumed run keeps the versions it started with, which are part of its keys).
    ///
    /// With `contained` (runs that start agents: fix, resume) and `agent.sandbox = "bwrap"`, the
    /// sandbox is found and probed first, so a missing or refused bubblewrap stops the run (exit 2)
    /// before any tool or agent runs; linters, agents and the test command then run in it.
    ///
    /// Only a pipeline that will start agents (`contained`: fix, resume) requires them to be
    /// runnable — their program on PATH, the chat endpoint's key set. `check` and `docgen` only
    /// need to know what the agents can fix and who they are, so a configured agent that is not
    /// installed here does not stop them.
    func makePipeline(ledger: Ledger?, toolVersions: [String: String]? = nil, contained: Bool = false) async throws -> Pipeline {
        let sandbox = contained ? try await RunSandbox.make(configuration: configuration, commonDir: repository.commonDir) : nil
        let linters = try await makeLinters()
        // Contained, the linters always run as a set: the set is what puts them in the sandbox.
        let linter: any Linter = linters.count == 1 && sandbox == nil ? linters[0] : try LinterSet(linters, sandbox: sandbox?.tools)
        var versions = toolVersions ?? [:]
        if toolVersions == nil { versions = try await Pipeline.versions(of: linter) }
        let configuration = self.configuration
        var tests = configuration.testCommand.isEmpty ? nil
            : try TestCommand(argv: configuration.testCommand, timeout: .seconds(configuration.testTimeoutSeconds))
        tests?.sandbox = sandbox?.tools
        tests?.testMap = try configuration.testMap.map(TestMapRule.init)
        tests?.withoutTestFile = configuration.testMissing
        return Pipeline(
            repository: repository, configuration: configuration, linter: linter,
            agents: try configuration.chain.map {
                try makeAgent($0, linters: linters, toolVersions: versions, sandbox: sandbox, requireRunnable: contained)
            },
            resourceGuard: ledger.map { makeGuard(ledger: $0) } ?? InProcessGuard(),
            gate: configuration.gate ? try makeGate() : nil,
            tests: tests,
            logger: logger)
    }

    /// The anti-stomp layer for this repository: leases and fencing tokens in the ledger, shared by
    /// every stomper process on it. A lease whose holder process is gone is taken over at once.
    func makeGuard(ledger: Ledger) -> StompGuard {
        StompGuard(store: LedgerLeaseStore(ledger: ledger), policy: configuration.coordination,
                   isAlive: { ProcessLiveness.isAlive(pid: $0.pid, host: $0.host) })
    }

    /// Every enabled linter, in the order autofix should apply their fixes: ruff's fixes, then
    /// ruff format, then the checkers without fixes, then the `[[quality.*]]` tools.
    ///
    /// A linter found through a pyenv or asdf shim runs the program the shim resolves to in this
    /// repository (asked once here): a shim costs more per call than ruff's whole check of a file.
    func makeLinters() async throws -> [any Linter] {
        let configuration = self.configuration
        let order = ["ruff", "ruff-format", "mypy", "shellcheck"]
        var linters: [any Linter] = []
        var resolved: [String: String] = [:]
        func program(_ executable: String) async -> String {
            if let known = resolved[executable] { return known }
            let path = await VersionManagerShim.resolve(executable, in: repository.workdir)
            if path != executable { logger.debug("\(executable): running \(path) (resolved from a version-manager shim)") }
            resolved[executable] = path
            return path
        }
        for name in order where configuration.linters.contains(name) {
            switch name {
            case "ruff":
                linters.append(RuffLinter(executable: await program(configuration.ruffExecutable),
                                          extraArguments: configuration.ruffArguments, unsafeFixes: configuration.unsafeFixes))
            case "ruff-format":
                linters.append(RuffFormatLinter(executable: await program(configuration.ruffExecutable)))
            case "mypy":
                let cache = configuration.mypyCache
                    ? MypyCache(folder: repository.commonDir + "/stomper/mypy-cache", seedRoot: repository.workdir) : nil
                linters.append(MypyLinter(executable: await program(configuration.mypyExecutable),
                                          extraArguments: configuration.mypyArguments, cache: cache))
            default:
                linters.append(ShellcheckLinter(executable: await program(configuration.shellcheckExecutable),
                                                extraArguments: configuration.shellcheckArguments))
            }
        }
        for tool in configuration.sarif {
            linters.append(SarifLinter(name: tool.name, source: tool.command.isEmpty ? .file(tool.file) : .command(tool.command),
                                       versionCommand: tool.versionCommand.isEmpty ? nil : tool.versionCommand))
        }
        for tool in configuration.patterns {
            linters.append(try PatternLinter(name: tool.name, command: tool.command,
                                             pattern: tool.pattern.isEmpty ? PatternLinter.defaultPattern : tool.pattern,
                                             versionCommand: tool.versionCommand.isEmpty ? nil : tool.versionCommand))
        }
        guard !linters.isEmpty else {
            throw ConfigError("no linter is enabled: set linters.enabled in stomper.toml (e.g. [\"ruff\"]) or add a [[quality.sarif]] tool")
        }
        return linters
    }

    /// The gate with the rules `verify.gate_allow` lets through.
    func makeGate() throws -> SuppressionGate {
        var allowed: Set<SuppressionGate.Rule> = []
        for name in configuration.gateAllow {
            guard let rule = SuppressionGate.Rule(rawValue: name) else {
                throw ConfigError("verify.gate_allow names an unknown rule \"\(name)\": use \(SuppressionGate.Rule.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            allowed.insert(rule)
        }
        return SuppressionGate(allowed: allowed)
    }

    /// The project's prompt template (`agent.prompt_template`), or the built-in one.
    func promptTemplate() throws -> PromptTemplate {
        let path = configuration.promptTemplate
        guard !path.isEmpty else { return .task }
        let full = path.hasPrefix("/") ? path : repository.workdir + "/" + path
        guard let data = FileManager.default.contents(atPath: full) else {
            throw ConfigError("agent.prompt_template: cannot read \(path) (relative to the repository root); fix the path or remove the setting")
        }
        do {
            return try PromptTemplate(text: String(decoding: data, as: UTF8.self))
        } catch {
            throw ConfigError("agent.prompt_template \(path): \(error)")
        }
    }

    /// The chat agent: `agent.model` names the model, the key comes from the variable named by
    /// `agent.chat.api_key_env` (read here, never stored or logged).
    func makeChatAgent(requireKey: Bool = true) throws -> any Agent {
        var settings = configuration.chat
        if !configuration.agentModel.isEmpty { settings.model = configuration.agentModel }
        settings.timeoutSeconds = Double(configuration.agentTimeoutSeconds)
        guard !settings.model.isEmpty else {
            throw ConfigError("the chat agent needs a model: set agent.model in stomper.toml or pass --model (e.g. --model qwen2.5-coder:7b)")
        }
        var key: String?
        if let variable = settings.apiKeyVariable {
            key = ProcessInfo.processInfo.environment[variable]
            guard !requireKey || !(key ?? "").isEmpty else {
                throw ConfigError("the chat agent's key variable \(variable) is not set: export \(variable)=<key>, "
                                  + "or set agent.chat.api_key_env = \"\" for an endpoint without a key")
            }
        }
        do {
            // A project template replaces the user message; it must carry the file.
            let template = configuration.promptTemplate.isEmpty ? PromptTemplate.chatUser : try promptTemplate()
            guard template.placeholders.contains(.file) else {
                throw ConfigError("agent.prompt_template \(configuration.promptTemplate) has no {{file}}: the chat agent must send the file")
            }
            return try ChatAgent(settings: settings, apiKey: key, userTemplate: template)
        } catch let error as AgentError {
            throw ConfigError("agent.chat: \(error)")
        }
    }

    /// The agent of `kind`, contained by `sandbox` when given: autofix without network, a custom
    /// command and the presets with it (they are AI CLIs calling a model), each preset with its
    /// CLI's folders writable. The chat agent runs in this process and needs no sandbox.
    func makeAgent(_ kind: StomperConfiguration.AgentKind, linters: [any Linter], toolVersions: [String: String],
                   sandbox: RunSandbox? = nil, requireRunnable: Bool = true) throws -> any Agent {
        let model = configuration.agentModel.isEmpty ? nil : configuration.agentModel
        switch kind {
        case .autofix:
            var agent = AutofixAgent(linters: linters.filter { $0.fixCommand(path: "{file}", root: "{worktree}") != nil },
                                     toolVersions: toolVersions)
            agent.sandbox = sandbox?.tools
            return agent
        case .command:
            guard let executable = configuration.command.first, !requireRunnable || Self.isRunnable(executable, from: repository.workdir) else {
                throw ConfigError("the agent command `\(configuration.command.first ?? "")` was not found: "
                                  + "install it, or fix agent.command in stomper.toml (it must be on PATH or a path)")
            }
            var agent = try CommandAgent(argv: configuration.command, template: try promptTemplate())
            agent.sandbox = sandbox?.agent(network: true)
            return agent
        case .chat:
            return try makeChatAgent(requireKey: requireRunnable)
        case .claude, .codex, .aider, .cursorAgent, .gemini, .opencode:
            let preset = AgentPreset(rawValue: kind.rawValue)!
            var agent = try preset.agent(model: model, executable: configuration.agentExecutable, template: try promptTemplate())
            guard !requireRunnable || Self.isRunnable(agent.argv[0], from: repository.workdir) else {
                throw ConfigError("the \(kind.rawValue) agent needs `\(agent.argv[0])`, which is not on PATH: \(preset.installHint)")
            }
            agent.sandbox = sandbox?.agent(network: preset.needsNetwork, folders: preset.sandboxFolders, files: preset.sandboxFiles)
            return agent
        }
    }

    /// Whether `executable` names a runnable file: a path (relative ones from the worktree root,
    /// which mirrors `root`), or a name found on PATH.
    static func isRunnable(_ executable: String, from root: String) -> Bool {
        let fileManager = FileManager.default
        if executable.contains("/") {
            let path = executable.hasPrefix("/") ? executable : root + "/" + executable
            return fileManager.isExecutableFile(atPath: path)
        }
        let searchPath = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return searchPath.split(separator: ":").contains { fileManager.isExecutableFile(atPath: "\($0)/\(executable)") }
    }

    /// Turns paths given on the command line (relative to the start directory) into paths relative
    /// to the repository root, refusing ones outside it or missing.
    func repositoryPaths(_ paths: [String], from start: String) throws -> [String] {
        let root = URL(fileURLWithPath: repository.workdir).resolvingSymlinksInPath().path
        return try paths.map { path in
            let absolute = path.hasPrefix("/") ? path : start + "/" + path
            let resolved = URL(fileURLWithPath: absolute).standardizedFileURL.resolvingSymlinksInPath().path
            guard FileManager.default.fileExists(atPath: resolved) else {
                throw ConfigError("no such file or folder: \(path)")
            }
            if resolved == root { return "." }
            guard resolved.hasPrefix(root + "/") else {
                throw ConfigError("\(path) is outside the repository at \(repository.workdir)")
            }
            return String(resolved.dropFirst(root.count + 1))
        }
    }
}
