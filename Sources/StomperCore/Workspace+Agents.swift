import Foundation
public import StomperAgents
import StomperGit
public import StomperQuality

/// The agents of the configured chain.
extension Workspace {
    /// The agent of `kind`, contained by `sandbox` when given: autofix without network, a custom
    /// command and the presets with it (they are AI CLIs calling a model), each preset with its
    /// CLI's folders writable. The chat agent runs in this process and needs no sandbox.
    ///
    /// With `requireRunnable`, an agent whose program is not here, or whose key is not set,
    /// throws `CoreError.agentUnavailable` with the agent's name as `subject`; without it the
    /// agent is built all the same, for its identity and what it can fix.
    public func makeAgent(
        _ kind: StomperConfiguration.AgentKind, linters: [any Linter], toolVersions: [String: String],
        sandbox: RunSandbox? = nil, requireRunnable: Bool = true
    ) throws -> any Agent {
        let model = configuration.agentModel.isEmpty ? nil : configuration.agentModel
        switch kind {
        case .autofix:
            var agent = AutofixAgent(
                linters: linters.filter { $0.fixCommand(path: "{file}", root: "{worktree}") != nil },
                toolVersions: toolVersions)
            agent.sandbox = sandbox?.tools
            return agent
        case .command:
            guard let executable = configuration.command.first,
                !requireRunnable || Self.isRunnable(executable, from: repository.workdir)
            else {
                throw CoreError(
                    .agentUnavailable,
                    "the agent command `\(configuration.command.first ?? "")` was not found: "
                        + "install it, or fix agent.command in stomper.toml (it must be on PATH or a path)", subject: kind.rawValue)
            }
            var agent = try CommandAgent(argv: configuration.command, template: try promptTemplate())
            agent.sandbox = sandbox?.agent(network: true)
            return agent
        case .chat:
            return try makeChatAgent(requireKey: requireRunnable)
        case .claude, .codex, .aider, .cursorAgent, .gemini, .opencode:
            guard let preset = AgentPreset(rawValue: kind.rawValue) else {
                throw CoreError(.invalidSetting, "the \(kind.rawValue) agent has no preset", subject: kind.rawValue)
            }
            var agent = try preset.agent(model: model, executable: configuration.agentExecutable, template: try promptTemplate())
            guard !requireRunnable || Self.isRunnable(agent.argv[0], from: repository.workdir) else {
                throw CoreError(
                    .agentUnavailable, "the \(kind.rawValue) agent needs `\(agent.argv[0])`, which is not on PATH: \(preset.installHint)",
                    subject: kind.rawValue)
            }
            agent.sandbox = sandbox?.agent(network: preset.needsNetwork, folders: preset.sandboxFolders, files: preset.sandboxFiles)
            return agent
        }
    }

    /// The chat agent: `agent.model` names the model, the key comes from the variable named by
    /// `agent.chat.api_key_env` (read here, never stored or logged).
    public func makeChatAgent(requireKey: Bool = true) throws -> any Agent {
        var settings = configuration.chat
        if !configuration.agentModel.isEmpty { settings.model = configuration.agentModel }
        settings.timeoutSeconds = Double(configuration.agentTimeoutSeconds)
        guard !settings.model.isEmpty else {
            throw CoreError(
                .invalidSetting, "the chat agent needs a model: set agent.model in stomper.toml or pass --model (e.g. --model qwen2.5-coder:7b)",
                subject: "agent.model")
        }
        var key: String?
        if let variable = settings.apiKeyVariable {
            key = ProcessInfo.processInfo.environment[variable]
            guard !requireKey || !(key ?? "").isEmpty else {
                throw CoreError(
                    .agentUnavailable,
                    "the chat agent's key variable \(variable) is not set: export \(variable)=<key>, "
                        + "or set agent.chat.api_key_env = \"\" for an endpoint without a key", subject: "chat")
            }
        }
        // A project template replaces the user message; it must carry the file.
        let template = configuration.promptTemplate.isEmpty ? PromptTemplate.chatUser : try promptTemplate()
        guard template.placeholders.contains(.file) else {
            throw CoreError(
                .invalidSetting, "agent.prompt_template \(configuration.promptTemplate) has no {{file}}: the chat agent must send the file",
                subject: "agent.prompt_template")
        }
        do {
            return try ChatAgent(settings: settings, apiKey: key, userTemplate: template)
        } catch let error as AgentError {
            throw CoreError(.invalidSetting, "agent.chat: \(error)", subject: "agent.chat", underlying: error)
        }
    }

    /// The project's prompt template (`agent.prompt_template`), or the built-in one.
    public func promptTemplate() throws -> PromptTemplate {
        let path = configuration.promptTemplate
        guard !path.isEmpty else { return .task }
        let full = path.hasPrefix("/") ? path : repository.workdir + "/" + path
        guard let data = FileManager.default.contents(atPath: full) else {
            throw CoreError(
                .invalidSetting,
                "agent.prompt_template: cannot read \(path) (relative to the repository root); "
                    + "fix the path or remove the setting", subject: "agent.prompt_template")
        }
        do {
            return try PromptTemplate(text: String(decoding: data, as: UTF8.self))
        } catch {
            throw CoreError(.invalidSetting, "agent.prompt_template \(path): \(error)", subject: "agent.prompt_template", underlying: error)
        }
    }

    /// Whether `executable` names a runnable file: a path (relative ones from the worktree root,
    /// which mirrors `root`), or a name found on PATH.
    public static func isRunnable(_ executable: String, from root: String) -> Bool {
        let fileManager = FileManager.default
        if executable.contains("/") {
            let path = executable.hasPrefix("/") ? executable : root + "/" + executable
            return fileManager.isExecutableFile(atPath: path)
        }
        let searchPath = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return searchPath.split(separator: ":").contains { fileManager.isExecutableFile(atPath: "\($0)/\(executable)") }
    }
}
