/// The AI coding CLIs stomper knows how to run headless, each as a `CommandAgent` with its
/// flags from the reference (linters-agents.md §0.2 and §2) and its vendor's documentation; only
/// aider's is run for real, by `AiderEndToEndTests`. Each turns off what its CLI would do beyond
/// the file (web fetches, installs, updates, telemetry) where a flag or variable exists.
///
/// Every preset lets the agent edit files, stops it committing where the CLI can (and the
/// pipeline checks `HEAD` anyway), restricts its tools where the CLI allows, and gives it the
/// prompt on standard input or in a file. cursor-agent documents no other way than an argument,
/// so it gets the prompt as one argument and refuses prompts over
/// `CommandAgent.argumentPromptLimit`.
public enum AgentPreset: String, Sendable, Hashable, Codable, CaseIterable {
    case claude
    case codex
    case aider
    case cursorAgent = "cursor-agent"
    case gemini
    case opencode

    /// The short instruction given where a CLI needs a prompt argument while the real prompt
    /// arrives on standard input (Gemini appends `-p` after stdin, opencode stdin after the message).
    static let followStandardInputAbove = "Carry out the task described above."
    static let followStandardInputBelow = "Carry out the task described below."

    /// opencode's inline configuration: no shell, no web, no shared sessions.
    static let opencodeConfig = #"{"permission":{"bash":"deny","webfetch":"deny","websearch":"deny","codesearch":"deny"},"share":"disabled"}"#

    /// The program run, looked up in `PATH`.
    public var executable: String {
        switch self {
        case .claude: return "claude"
        case .codex: return "codex"
        case .aider: return "aider"
        case .cursorAgent: return "cursor-agent"
        case .gemini: return "gemini"
        case .opencode: return "opencode"
        }
    }

    /// How to install it.
    public var installHint: String {
        switch self {
        case .claude: return "npm install -g @anthropic-ai/claude-code"
        case .codex: return "npm install -g @openai/codex"
        case .aider: return "pip install aider-chat"
        case .cursorAgent: return "curl https://cursor.com/install -fsS | bash (newer installs name the program `agent`: set agent.executable)"
        case .gemini: return "npm install -g @google/gemini-cli"
        case .opencode: return "npm install -g opencode-ai"
        }
    }

    /// Environment variables that give it credentials, for documentation: any one inner list,
    /// all of its variables set, is enough.
    public var requiredEnvironment: [[String]] {
        switch self {
        case .claude: return [["ANTHROPIC_API_KEY"], ["CLAUDE_CODE_OAUTH_TOKEN"], ["ANTHROPIC_AUTH_TOKEN"]]
        case .codex: return [["CODEX_API_KEY"], ["OPENAI_API_KEY"]]
        case .aider: return [["OPENAI_API_KEY"], ["ANTHROPIC_API_KEY"], ["OLLAMA_API_BASE"]]
        case .cursorAgent: return [["CURSOR_API_KEY"]]
        case .gemini: return [["GEMINI_API_KEY"], ["GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI"]]
        case .opencode: return [["ANTHROPIC_API_KEY"], ["OPENAI_API_KEY"]]
        }
    }

    /// Other ways to authenticate, and caveats, for documentation.
    public var notes: String {
        switch self {
        case .claude: return "Or a stored login (`claude login`). Tools are limited to Read and Edit; Bash, WebFetch and WebSearch are denied."
        case .codex:
            return "Or a stored login (`codex login`). Runs in the workspace-write sandbox, which still allows `git commit`; stomper checks HEAD."
        case .aider:
            return
                "Exits 0 even when it failed and prints nothing machine-readable: verification alone decides. Model keys per provider (`--model openai/NAME` with OPENAI_API_BASE for any OpenAI-compatible endpoint)."
        case .cursorAgent:
            return
                "Takes the prompt only as an argument (visible in the process list), so prompts over 100 kB are refused. Runs without --force: edits in the workspace are applied, shell commands and web fetches not allowed by its permission config are rejected (versions that only propose changes without --force need `agent update`)."
        case .gemini:
            return
                "Exit 42 means a rejected prompt or flag (older versions lack --skip-trust); 53 the turn limit. Shell commands need approval and are denied headless."
        case .opencode:
            return
                "Or `opencode auth login`; the free opencode/* models need no key. Bash, web fetches and web search are denied through OPENCODE_CONFIG_CONTENT."
        }
    }

    /// Folders the CLI writes outside the worktree (settings, logins, sessions, caches), `~` for the
    /// home folder: writable in its sandbox, created first when missing. Everything else outside
    /// the worktree is read-only to it.
    public var sandboxFolders: [String] {
        switch self {
        case .claude: return ["~/.claude"]
        case .codex: return ["~/.codex"]
        case .aider: return ["~/.aider", "~/.cache/aider"]
        case .cursorAgent: return ["~/.cursor", "~/.config/cursor"]
        case .gemini: return ["~/.gemini"]
        case .opencode: return ["~/.local/share/opencode", "~/.config/opencode", "~/.cache/opencode", "~/.local/state/opencode"]
        }
    }

    /// Single files the CLI rewrites in place outside the worktree (`~/.claude.json`): writable in its
    /// sandbox when they exist.
    public var sandboxFiles: [String] {
        switch self {
        case .claude: return ["~/.claude.json"]
        default: return []
        }
    }

    /// Whether it needs the network in its sandbox: every preset calls a hosted or local model.
    public var needsNetwork: Bool { true }

    /// What its standard input receives.
    public var stdin: CommandAgent.Input {
        switch self {
        case .claude, .codex, .gemini, .opencode: return .prompt
        case .aider, .cursorAgent: return .empty
        }
    }

    /// Variables set for every run (no secrets: they are part of the identity). Each turns off
    /// something the CLI would do beyond the file, as its vendor documents (docs/AGENTS.md lists
    /// the sources): Claude Code's auto-updater, telemetry and error reports
    /// (`CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC`); Gemini CLI's telemetry, whatever its settings
    /// files say; opencode's update check and language-server downloads, and through its inline
    /// configuration (which wins over the project's) bash, web fetches, web and code search, and sharing.
    ///
    /// aider: `BROWSER=true` because with `--yes-always` it opens any link in an error (a refused
    /// key's help page, a crash report's pre-filled GitHub issue) in a browser (Python's `webbrowser`
    /// runs `$BROWSER URL`, here `true`); `LITELLM_LOCAL_MODEL_COST_MAP=True` keeps litellm from
    /// downloading its price list from GitHub on every start.
    public var environment: [String: String] {
        switch self {
        case .aider: return ["BROWSER": "true", "LITELLM_LOCAL_MODEL_COST_MAP": "True"]
        case .claude: return ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"]
        case .gemini: return ["GEMINI_TELEMETRY_ENABLED": "false"]
        case .opencode:
            return [
                "OPENCODE_CONFIG_CONTENT": Self.opencodeConfig, "OPENCODE_DISABLE_AUTOUPDATE": "true",
                "OPENCODE_DISABLE_LSP_DOWNLOAD": "true",
            ]
        case .codex, .cursorAgent: return [:]
        }
    }

    public var reportFormat: AgentReport.Format {
        switch self {
        case .claude, .cursorAgent: return .resultObject
        case .codex: return .codexEvents
        case .aider: return .none
        case .gemini: return .geminiObject
        case .opencode: return .opencodeEvents
        }
    }

    /// The argv template, with `model` inserted with the CLI's own flag; also what the README shows.
    public func commandLine(model: String? = nil) -> [String] {
        let model = model.flatMap { $0.isEmpty ? nil : $0 }
        switch self {
        case .claude:
            return [
                "claude", "-p", "--output-format", "json", "--permission-mode", "acceptEdits",
                "--allowedTools", "Read,Edit", "--disallowedTools", "Bash,WebFetch,WebSearch",
            ]
                + (model.map { ["--model", $0] } ?? [])
        case .codex:
            // `-` reads the prompt from stdin, which is then closed. No update check, no web search tool
            // (config keys of developers.openai.com/codex/config-reference).
            return [
                "codex", "exec", "--sandbox", "workspace-write", "--skip-git-repo-check", "--ephemeral", "--json",
                "-c", "check_for_update_on_startup=false", "-c", #"web_search="disabled""#,
            ]
                + (model.map { ["-m", $0] } ?? []) + ["-"]
        case .aider:
            // `--yes-always` answers every question aider asks, so everything it could agree to beyond
            // the file is switched off by flag (a command-line flag beats `.aider.conf.yml`, `.env` and
            // `AIDER_*`): reading links in the prompt and installing Playwright to do it, opening the
            // release notes, suggesting shell commands, tests, notifications (a shell command),
            // analytics (a yes turns on PostHog), the update check and git (it `git add`s files it
            // creates, which writes the worktree's index in the repository's git folder).
            // Streaming is aider's default and stays on. Checked with aider 0.86.2 (docs/AGENTS.md).
            return [
                "aider", "--message-file", "{prompt_file}", "--yes-always", "--no-git", "--no-auto-commits",
                "--no-dirty-commits", "--no-gitignore", "--no-pretty", "--no-show-model-warnings", "--no-check-update",
                "--no-show-release-notes", "--no-analytics", "--no-auto-lint", "--no-auto-test",
                "--no-suggest-shell-commands", "--no-detect-urls", "--disable-playwright", "--no-notifications",
                "--chat-history-file", "/dev/null", "--input-history-file", "/dev/null", "--map-tokens", "0",
            ]
                + (model.map { ["--model", $0] } ?? []) + ["{file}"]
        case .cursorAgent:
            // No `--force`: print mode then applies edits inside the workspace and rejects shell
            // commands, MCP tools and web fetches that were not allowed (cursor.com/docs/cli).
            return ["cursor-agent", "-p", "--trust", "--output-format", "json"]
                + (model.map { ["--model", $0] } ?? []) + ["{prompt}"]
        case .gemini:
            return [
                "gemini", "-p", Self.followStandardInputAbove, "--output-format", "json", "--approval-mode", "auto_edit",
                "--skip-trust",
            ]
                + (model.map { ["-m", $0] } ?? [])
        case .opencode:
            return ["opencode", "run", "--format", "json", "--dir", "{worktree}"]
                + (model.map { ["-m", $0] } ?? []) + [Self.followStandardInputBelow]
        }
    }

    /// The preset as an agent. `environment` is added to the preset's own (and wins); an
    /// `executable` replaces the program name (a path, or `agent` for newer cursor installs).
    public func agent(
        model: String? = nil, executable: String? = nil, environment: [String: String] = [:],
        template: PromptTemplate = .task
    ) throws -> CommandAgent {
        var argv = commandLine(model: model)
        if let executable, !executable.isEmpty { argv[0] = executable }
        let merged = self.environment.merging(environment) { _, new in new }
        var agent = try CommandAgent(
            argv: argv, environment: merged, stdin: stdin, identityKind: rawValue,
            reportFormat: reportFormat, installHint: installHint, template: template)
        // The preset's own variables change what the agent may do, so their values are part of the key.
        let fixed = self.environment.keys.sorted().map { "\($0)=\(merged[$0] ?? "")" }
        if !fixed.isEmpty { agent.identity.settings += "\u{1f}" + fixed.joined(separator: "\u{1f}") }
        return agent
    }
}
