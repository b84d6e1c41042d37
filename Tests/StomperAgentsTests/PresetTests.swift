import Foundation
import StomperAgents
import StomperQuality
import StomperTestSupport
import Testing

/// A fake agent CLI on a private PATH: it records its argv (NUL-separated), stdin, environment,
/// working directory and any prompt file it was given, prints `response` and exits with `status`.
struct FakeCLI {
    let root: String
    var bin: String { root + "/bin" }
    var worktree: String { root + "/repo" }
    var record: String { root + "/record" }

    static let body = """
        #!/bin/sh
        printf '%s\\0' "$@" > "$FAKE_RECORD/args"
        cat > "$FAKE_RECORD/stdin"
        env > "$FAKE_RECORD/env"
        pwd > "$FAKE_RECORD/pwd"
        for word in "$@"; do
          case "$word" in */prompt-*.md) cp "$word" "$FAKE_RECORD/promptfile" ;; esac
        done
        cat "$FAKE_RECORD/response" 2>/dev/null
        exit "$(cat "$FAKE_RECORD/status" 2>/dev/null || echo 0)"
        """

    init(root: String, executable: String) throws {
        self.root = root
        for folder in [root + "/bin", root + "/repo", root + "/record"] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        try Data("import os\nx = 1\n".utf8).write(to: URL(fileURLWithPath: root + "/repo/a.py"))
        let path = bin + "/" + executable
        try Data(Self.body.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    }

    func respond(_ output: String, status: Int32 = 0) throws {
        try Data(output.utf8).write(to: URL(fileURLWithPath: record + "/response"))
        try Data("\(status)\n".utf8).write(to: URL(fileURLWithPath: record + "/status"))
    }

    /// The environment that puts the fake first on PATH and tells it where to record.
    var environment: [String: String] {
        ["PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"), "FAKE_RECORD": record]
    }

    func request(message: String = "`os` imported but unused") -> FixRequest {
        FixRequest(
            worktree: worktree, path: "a.py",
            diagnostics: [Diagnostic(tool: "ruff", path: "a.py", line: 1, column: 8, code: "F401", message: message)],
            timeout: .seconds(30), scratchDirectory: root + "/scratch")
    }

    var arguments: [String] {
        get throws {
            let data = try Data(contentsOf: URL(fileURLWithPath: record + "/args"))
            return data.split(separator: 0, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) }
        }
    }

    var stdin: String { get throws { try String(contentsOfFile: record + "/stdin", encoding: .utf8) } }
    var promptFile: String { get throws { try String(contentsOfFile: record + "/promptfile", encoding: .utf8) } }
    var ran: Bool { FileManager.default.fileExists(atPath: record + "/args") }

    func environmentValue(_ name: String) throws -> String? {
        try String(contentsOfFile: record + "/env", encoding: .utf8).split(separator: "\n")
            .first { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) }
    }
}

@Suite(.tags(.unit)) struct PresetTests {
    /// Runs `preset` against the fake with `output` and `status`; returns the outcome and the fake.
    func run(
        _ preset: AgentPreset, model: String? = nil, output: String, status: Int32 = 0, in dir: String,
        message: String = "`os` imported but unused"
    ) async throws -> (AgentOutcome, FakeCLI) {
        let fake = try FakeCLI(root: dir, executable: preset.executable)
        try fake.respond(output, status: status)
        let agent = try preset.agent(model: model, environment: fake.environment)
        return (try await agent.fix(fake.request(message: message)), fake)
    }

    func expectPromptOnStdin(_ fake: FakeCLI) throws {
        let stdin = try fake.stdin
        #expect(stdin.contains("Fix the lint and type errors in `a.py`"))
        #expect(stdin.contains("1:8 F401"))
    }

    @Test func claudeTakesThePromptOnStdinAndReportsCostAndTokens() async throws {
        try await withTemporaryDirectory { dir in
            let (outcome, fake) = try await run(
                .claude, model: "sonnet",
                output: """
                    {"type":"result","subtype":"success","is_error":false,"result":"Removed the import.","session_id":"s",
                     "total_cost_usd":0.0123,"num_turns":3,"usage":{"input_tokens":12,"cache_creation_input_tokens":300,
                     "cache_read_input_tokens":1000,"output_tokens":45},"permission_denials":[]}
                    """, in: dir)
            #expect(outcome.status == .completed)
            #expect(outcome.usage == AgentUsage(inputTokens: 1312, outputTokens: 45, costUSD: 0.0123))
            #expect(
                try fake.arguments == [
                    "-p", "--output-format", "json", "--permission-mode", "acceptEdits",
                    "--allowedTools", "Read,Edit", "--disallowedTools", "Bash,WebFetch,WebSearch", "--model", "sonnet",
                ])
            #expect(try fake.environmentValue("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC") == "1")
            try expectPromptOnStdin(fake)
            #expect(
                try String(contentsOfFile: dir + "/record/pwd", encoding: .utf8).trimmingCharacters(in: .newlines)
                    == fake.worktree)
        }
    }

    @Test func claudeErrorResultIsAFailureWithItsText() async throws {
        try await withTemporaryDirectory { dir in
            let (outcome, _) = try await run(
                .claude,
                output: """
                    {"type":"result","subtype":"error_max_turns","is_error":true,"result":"Reached max turns","total_cost_usd":0.5}
                    """, status: 1, in: dir)
            #expect(outcome.status == .failed(reason: "agent `claude` reported error_max_turns: Reached max turns (exit status 1)"))
            #expect(outcome.usage == AgentUsage(costUSD: 0.5))
        }
        try await withTemporaryDirectory { dir in
            // An API failure can arrive as subtype success with is_error set, and exit 0.
            let (outcome, _) = try await run(
                .claude, output: #"{"type":"result","subtype":"success","is_error":true,"result":"API Error: 529"}"#,
                in: dir)
            #expect(outcome.status == .failed(reason: "agent `claude` reported an error: API Error: 529"))
        }
    }

    @Test func codexReadsTheDashPromptFromStdinAndSumsTurnUsage() async throws {
        try await withTemporaryDirectory { dir in
            let (outcome, fake) = try await run(
                .codex, model: "gpt-5-codex",
                output: """
                    {"type":"thread.started","thread_id":"t"}
                    {"type":"turn.started"}
                    {"type":"item.completed","item":{"id":"i","type":"agent_message","text":"Done."}}
                    {"type":"turn.completed","usage":{"input_tokens":2000,"cached_input_tokens":1500,"output_tokens":80}}
                    """, in: dir)
            #expect(outcome.status == .completed)
            #expect(outcome.usage == AgentUsage(inputTokens: 2000, outputTokens: 80))
            #expect(
                try fake.arguments == [
                    "exec", "--sandbox", "workspace-write", "--skip-git-repo-check", "--ephemeral", "--json",
                    "-c", "check_for_update_on_startup=false", "-c", #"web_search="disabled""#,
                    "-m", "gpt-5-codex", "-",
                ])
            try expectPromptOnStdin(fake)
        }
    }

    @Test func codexTurnFailedAndErrorEventsAreFailures() async throws {
        try await withTemporaryDirectory { dir in
            let (outcome, _) = try await run(
                .codex,
                output: """
                    {"type":"turn.started"}
                    {"type":"error","message":"stream disconnected"}
                    {"type":"turn.failed","error":{"message":"usage limit reached"}}
                    """, status: 1, in: dir)
            #expect(outcome.status == .failed(reason: "agent `codex` reported stream disconnected; usage limit reached (exit status 1)"))
        }
    }

    @Test func aiderGetsThePromptFileAndEmptyStdinAndIsJudgedByVerificationAlone() async throws {
        try await withTemporaryDirectory { dir in
            // aider prints prose and exits 0 even when its edit failed to apply.
            let (outcome, fake) = try await run(.aider, model: "openai/stub", output: "# 1 SEARCH/REPLACE block failed to match!\n", in: dir)
            #expect(outcome.status == .completed)
            #expect(outcome.usage == nil)
            let arguments = try fake.arguments
            #expect(arguments.first == "--message-file")
            #expect(arguments[1].hasPrefix(dir + "/scratch/prompt-"))
            #expect(Array(arguments.suffix(3)) == ["--model", "openai/stub", "a.py"])
            #expect(arguments.contains("--no-auto-commits") && arguments.contains("--no-dirty-commits"))
            // Nothing beyond the file: no links read, no Playwright, no git, no browser, no shell
            // commands, tests, notifications, analytics, update check or release notes; streaming on.
            #expect(
                Array(arguments[2...].prefix(20)) == [
                    "--yes-always", "--no-git", "--no-auto-commits", "--no-dirty-commits", "--no-gitignore", "--no-pretty",
                    "--no-show-model-warnings", "--no-check-update", "--no-show-release-notes", "--no-analytics", "--no-auto-lint",
                    "--no-auto-test", "--no-suggest-shell-commands", "--no-detect-urls", "--disable-playwright", "--no-notifications",
                    "--chat-history-file", "/dev/null", "--input-history-file", "/dev/null",
                ])
            #expect(!arguments.contains("--no-stream") && !arguments.contains("--analytics-disable"))
            #expect(try fake.environmentValue("BROWSER") == "true")
            #expect(try fake.environmentValue("LITELLM_LOCAL_MODEL_COST_MAP") == "True")
            #expect(try fake.stdin.isEmpty)
            #expect(try fake.promptFile.contains("1:8 F401"))
        }
    }

    @Test func cursorAgentTakesThePromptAsOneArgumentAndRefusesOversizedOnes() async throws {
        try await withTemporaryDirectory { dir in
            let (outcome, fake) = try await run(
                .cursorAgent,
                output: """
                    {"type":"result","subtype":"success","is_error":false,"result":"ok","session_id":"s","duration_ms":10}
                    """, in: dir)
            #expect(outcome.status == .completed)
            let arguments = try fake.arguments
            // No --force: shell commands and web fetches that were not allowed are rejected.
            #expect(Array(arguments.prefix(4)) == ["-p", "--trust", "--output-format", "json"])
            #expect(arguments.count == 5)
            #expect(arguments[4].contains("Fix the lint and type errors in `a.py`") && arguments[4].contains("1:8 F401"))
            #expect(try fake.stdin.isEmpty)
        }
        try await withTemporaryDirectory { dir in
            let huge = String(repeating: "x", count: CommandAgent.argumentPromptLimit)
            let (outcome, fake) = try await run(.cursorAgent, output: "", in: dir, message: huge)
            guard case .failed(let reason) = outcome.status else {
                Issue.record("an oversized argument prompt must fail, got \(outcome.status)")
                return
            }
            #expect(reason.contains("more than the \(CommandAgent.argumentPromptLimit)"))
            #expect(outcome.calls == 0)
            #expect(!fake.ran)
        }
    }

    @Test func geminiGetsAShortInstructionPlusStdinAndItsExitCodesAreExplained() async throws {
        try await withTemporaryDirectory { dir in
            let (outcome, fake) = try await run(
                .gemini, model: "gemini-2.5-pro",
                output: """
                    {"response":"Fixed.","stats":{"models":{"gemini-2.5-pro":{"api":{"totalRequests":2},
                     "tokens":{"prompt":2400,"candidates":30,"total":2450,"cached":2000,"thoughts":20,"tool":0}}}}}
                    """, in: dir)
            #expect(outcome.status == .completed)
            #expect(outcome.usage == AgentUsage(inputTokens: 2400, outputTokens: 50))
            #expect(
                try fake.arguments == [
                    "-p", "Carry out the task described above.", "--output-format", "json",
                    "--approval-mode", "auto_edit", "--skip-trust", "-m", "gemini-2.5-pro",
                ])
            #expect(try fake.environmentValue("GEMINI_TELEMETRY_ENABLED") == "false")
            try expectPromptOnStdin(fake)
        }
        try await withTemporaryDirectory { dir in
            let (outcome, _) = try await run(.gemini, output: #"{"response":"","stats":{}}"#, status: 53, in: dir)
            #expect(outcome.status == .failed(reason: "agent `gemini` stopped at its turn limit (exit status 53)"))
        }
        try await withTemporaryDirectory { dir in
            let (outcome, _) = try await run(.gemini, output: "", status: 42, in: dir)
            #expect(outcome.failureReason?.hasPrefix("agent `gemini` rejected its input") == true)
            #expect(outcome.failureReason?.hasSuffix("(exit status 42)") == true)
        }
        try await withTemporaryDirectory { dir in
            let (outcome, _) = try await run(
                .gemini, output: #"{"response":null,"error":{"type":"ApiError","message":"quota","code":429}}"#,
                status: 1, in: dir)
            #expect(outcome.status == .failed(reason: "agent `gemini` reported quota (exit status 1)"))
        }
    }

    @Test func opencodeDeniesBashSumsStepUsageAndReportsErrorEvents() async throws {
        try await withTemporaryDirectory { dir in
            let (outcome, fake) = try await run(
                .opencode, model: "anthropic/claude-sonnet-4",
                output: """
                    {"type":"step_start","timestamp":1,"sessionID":"ses_1","part":{"type":"step-start"}}
                    {"type":"tool_use","timestamp":2,"sessionID":"ses_1","part":{"tool":"edit","state":{"status":"completed"}}}
                    {"type":"step_finish","timestamp":3,"sessionID":"ses_1","part":{"reason":"tool-calls","cost":0.01,\
                    "tokens":{"input":100,"output":10,"reasoning":5,"cache":{"read":1000,"write":0}}}}
                    {"type":"text","timestamp":4,"sessionID":"ses_1","part":{"text":"Done."}}
                    {"type":"step_finish","timestamp":5,"sessionID":"ses_1","part":{"reason":"stop","cost":0.02,\
                    "tokens":{"input":50,"output":20,"reasoning":0,"cache":{"read":0,"write":0}}}}
                    """, in: dir)
            #expect(outcome.status == .completed)
            let usage = try #require(outcome.usage)
            #expect(usage.inputTokens == 1150 && usage.outputTokens == 35)
            #expect(abs((usage.costUSD ?? 0) - 0.03) < 1e-9)
            #expect(
                try fake.arguments == [
                    "run", "--format", "json", "--dir", fake.worktree, "-m", "anthropic/claude-sonnet-4",
                    "Carry out the task described below.",
                ])
            #expect(
                try fake.environmentValue("OPENCODE_CONFIG_CONTENT")
                    == #"{"permission":{"bash":"deny","webfetch":"deny","websearch":"deny","codesearch":"deny"},"share":"disabled"}"#)
            #expect(try fake.environmentValue("OPENCODE_DISABLE_AUTOUPDATE") == "true")
            #expect(try fake.environmentValue("OPENCODE_DISABLE_LSP_DOWNLOAD") == "true")
            try expectPromptOnStdin(fake)
        }
        try await withTemporaryDirectory { dir in
            let (outcome, _) = try await run(
                .opencode,
                output: """
                    {"type":"error","timestamp":1,"sessionID":"ses_1","error":{"name":"APIError","data":{"message":"overloaded"}}}
                    """, in: dir)
            #expect(outcome.status == .failed(reason: "agent `opencode` reported APIError: overloaded"))
        }
        try await withTemporaryDirectory { dir in
            let (outcome, _) = try await run(
                .opencode,
                output: """
                    {"type":"error","timestamp":1,"sessionID":"ses_1","error":{"name":"ProviderAuthError","data":{"message":"invalid key"}}}
                    """, status: 1, in: dir)
            #expect(outcome.isInfrastructureFailure)
            #expect(outcome.failureReason?.contains("invalid key") == true)
        }
    }

    @Test(arguments: AgentPreset.allCases)
    func missingExecutableIsUnavailableWithTheInstallHint(_ preset: AgentPreset) async throws {
        try await withTemporaryDirectory { dir in
            let fake = try FakeCLI(root: dir, executable: "unrelated")
            let agent = try preset.agent(environment: ["PATH": fake.bin])
            let outcome = try await agent.fix(fake.request())
            guard case .unavailable(let reason) = outcome.status else {
                Issue.record("\(preset) missing must be unavailable, got \(outcome.status)")
                return
            }
            #expect(reason.contains(preset.executable))
            #expect(reason.contains(preset.installHint))
        }
    }

    @Test func commandLinesIdentityAndDocumentation() throws {
        #expect(AgentPreset.codex.commandLine(model: "o4").suffix(3) == ["-m", "o4", "-"])
        #expect(AgentPreset.aider.commandLine().last == "{file}")
        #expect(AgentPreset.cursorAgent.commandLine(model: "gpt-5").suffix(3) == ["--model", "gpt-5", "{prompt}"])
        #expect(AgentPreset.claude.commandLine(model: "") == AgentPreset.claude.commandLine())
        for preset in AgentPreset.allCases {
            let agent = try preset.agent()
            #expect(agent.identity.kind == preset.rawValue)
            #expect(agent.identity.name == preset.executable)
            #expect(try preset.agent(model: "m").identity != agent.identity)
            #expect(!preset.requiredEnvironment.isEmpty && !preset.installHint.isEmpty)
            #expect(AgentPreset(rawValue: preset.rawValue) == preset)
        }
        // The preset's own environment is part of the key; secrets passed by the caller are not.
        #expect(try AgentPreset.opencode.agent().identity.settings.contains("OPENCODE_CONFIG_CONTENT="))
        #expect(try AgentPreset.aider.agent().identity.settings.contains("BROWSER=true"))
        #expect(
            try AgentPreset.claude.agent(environment: ["ANTHROPIC_API_KEY": "sk-1"]).identity
                == AgentPreset.claude.agent(environment: ["ANTHROPIC_API_KEY": "sk-2"]).identity)
        #expect(try AgentPreset.cursorAgent.agent(executable: "agent").identity.name == "agent")
        #expect(AgentPreset.cursorAgent.stdin == .empty && AgentPreset.aider.stdin == .empty && AgentPreset.codex.stdin == .prompt)
    }
}

@Suite(.tags(.unit)) struct AgentReportTests {
    @Test func readsAResultObjectAfterProgressLines() {
        let report = AgentReport.parse(
            "warming up\n{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"result\":\"ok\"}\n",
            format: .resultObject, exitCode: 0)
        #expect(report.verdict == .succeeded)
        #expect(report.message == "ok")
    }

    @Test func unparsableOrAbsentOutputSaysNothing() {
        for format in AgentReport.Format.allCases {
            #expect(AgentReport.parse("not json at all", format: format, exitCode: 0).verdict == .silent)
        }
        #expect(AgentReport.parse("{\"type\":\"result\",\"is_error\":true}", format: .none, exitCode: 0).verdict == .silent)
    }

    @Test func aTextPromptContainingPlaceholdersIsNotSubstitutedTwice() async throws {
        try await withTemporaryDirectory { dir in
            let fake = try FakeCLI(root: dir, executable: "echo-agent")
            let agent = try CommandAgent(argv: ["echo-agent", "{prompt}"], environment: fake.environment, stdin: .empty)
            _ = try await agent.fix(fake.request(message: "see {file} and {worktree}"))
            let prompt = try fake.arguments[0]
            #expect(prompt.contains("see {file} and {worktree}"))
        }
    }
}
