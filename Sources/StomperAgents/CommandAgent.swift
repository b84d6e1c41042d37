import Foundation
public import StomperProcess

/// Any executable as an agent, given an argv template.
///
/// Placeholders: `{file}` (the file, relative to the worktree, which is the working directory),
/// `{worktree}` (absolute worktree path), `{prompt_file}` (a file holding the prompt, outside the
/// worktree, so it is never mistaken for part of the fix), `{attempt}`, and `{prompt}` (the whole
/// prompt as one argument, for CLIs that take it no other way; refused above
/// `argumentPromptLimit` bytes). Standard input gets the prompt, or nothing (`stdin: .empty`).
public struct CommandAgent: Agent {
    /// What the agent's standard input receives; it is closed afterwards either way, so an agent
    /// that reads it never waits for more (Codex hangs on a pipe that stays open).
    public enum Input: String, Sendable, Hashable, Codable {
        /// The rendered prompt.
        case prompt
        /// Nothing: end of input at once, like `< /dev/null`.
        case empty
    }

    public let argv: [String]
    public let environment: [String: String]
    public let stdin: Input
    /// How to read what the agent prints (failure, tokens, cost).
    public let reportFormat: AgentReport.Format
    /// How to install the executable, shown when it is missing.
    public let installHint: String?
    public let template: PromptTemplate
    public internal(set) var identity: AgentIdentity
    /// The containment each attempt runs in, with the job's worktree and the scratch folder made
    /// writable; nil runs it uncontained. Not part of the identity: it limits what the agent can
    /// reach, not what a verified fix is.
    public var sandbox: Sandbox?

    /// True when it runs in a sandbox.
    public var isContained: Bool { sandbox != nil }

    public static let placeholders: Set<String> = ["{file}", "{worktree}", "{prompt_file}", "{attempt}", "{prompt}"]

    /// The largest prompt passed as one argument: Linux refuses a single argument over 128 KiB
    /// (`MAX_ARG_STRLEN`), and the environment shares the same limit.
    public static let argumentPromptLimit = 100_000

    /// Throws `AgentError` if `argv` is empty or uses an unknown `{placeholder}`.
    ///
    /// `identityKind` names the agent in idempotency keys (`command`, or a preset's name).
    /// Environment values (API keys) are deliberately not part of the identity.
    public init(
        argv: [String], environment: [String: String] = [:], stdin: Input = .prompt, identityKind: String = "command",
        reportFormat: AgentReport.Format = .none, installHint: String? = nil, template: PromptTemplate = .task
    ) throws {
        guard let executable = argv.first, !executable.isEmpty else {
            throw AgentError(
                .badConfiguration,
                "the command agent has no command: set agent.command in stomper.toml, e.g. command = [\"my-agent\", \"{file}\"]")
        }
        for word in argv {
            for match in word.matches(of: /\{[a-z_]+\}/) where !Self.placeholders.contains(String(match.output)) {
                throw AgentError(
                    .badConfiguration,
                    "unknown placeholder \(match.output) in agent.command; use \(Self.placeholders.sorted().joined(separator: ", "))")
            }
        }
        self.argv = argv
        self.environment = environment
        self.stdin = stdin
        self.reportFormat = reportFormat
        self.installHint = installHint
        self.template = template
        // Only settings that differ from the defaults are added, so plain commands keep their keys.
        var settings = argv
        if stdin != .prompt { settings.append("stdin=\(stdin.rawValue)") }
        if reportFormat != .none { settings.append("report=\(reportFormat.rawValue)") }
        if template != .task { settings.append("template=\(template.text)") }
        self.identity = AgentIdentity(
            kind: identityKind, name: (executable as NSString).lastPathComponent,
            settings: settings.joined(separator: "\u{1f}"))
    }

    public func fix(_ request: FixRequest) async throws -> AgentOutcome {
        let prompt = Prompt.build(for: request, template: template)
        if argv.contains(where: { $0.contains("{prompt}") }) {
            let size = prompt.utf8.count
            guard size <= Self.argumentPromptLimit, !prompt.contains("\0") else {
                return AgentOutcome(
                    status: .failed(
                        reason: """
                            the prompt for \(request.path) is \(size) bytes, more than the \(Self.argumentPromptLimit) that agent \
                            `\(identity.name)` can take as a command-line argument; split the file's diagnostics over several runs \
                            or use an agent that reads the prompt from standard input or a file
                            """), calls: 0)
            }
        }
        let promptFile = request.scratchDirectory + "/prompt-\(UUID().uuidString).md"
        do {
            try FileManager.default.createDirectory(
                atPath: request.scratchDirectory, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
            try Data(prompt.utf8).write(to: URL(fileURLWithPath: promptFile))
        } catch {
            return AgentOutcome(status: .unavailable(reason: "cannot write the prompt file \(promptFile): \(error.localizedDescription)"), calls: 0)
        }
        defer { try? FileManager.default.removeItem(atPath: promptFile) }
        let values = [
            "{file}": request.path, "{worktree}": request.worktree, "{prompt_file}": promptFile,
            "{attempt}": String(request.attempt), "{prompt}": prompt,
        ]
        let words = argv.map { Self.substitute($0, values) }
        let spec = ProcessSpec(
            executable: words[0], arguments: Array(words.dropFirst()), workingDirectory: request.worktree,
            environment: environment.mapValues { Optional($0) }, input: stdin == .prompt ? Array(prompt.utf8) : [],
            timeout: request.timeout, sandbox: sandbox?.writing(request.worktree, request.scratchDirectory))
        return await run(spec)
    }

    /// Replaces each placeholder once, left to right: a value is never scanned again, so a
    /// prompt that happens to contain `{file}` stays as it is.
    static func substitute(_ word: String, _ values: [String: String]) -> String {
        var result = ""
        var rest = Substring(word)
        while let match = rest.firstMatch(of: /\{[a-z_]+\}/) {
            result += rest[..<match.range.lowerBound]
            result += values[String(match.output)] ?? String(match.output)
            rest = rest[match.range.upperBound...]
        }
        return result + rest
    }

    private func run(_ spec: ProcessSpec) async -> AgentOutcome {
        let what = "agent `\(identity.name)`"
        let start = ContinuousClock.now
        let result: ProcessResult
        do {
            result = try await ProcessRunner.run(spec)
        } catch let error as ProcessError where error.code == .executableNotFound {
            let hint = installHint.map { "; install it with `\($0)`" } ?? ""
            return AgentOutcome(
                status: .unavailable(reason: "\(what) executable not found: \(spec.executable)\(hint)"),
                duration: ContinuousClock.now - start)
        } catch let error as ProcessError {
            // Not `description`: the command line may hold the whole prompt.
            return AgentOutcome(
                status: .unavailable(reason: "\(what) could not be started: \(error.message)"),
                duration: ContinuousClock.now - start)
        } catch {
            return AgentOutcome(
                status: .unavailable(reason: "\(what) could not be started: \(error)"),
                duration: ContinuousClock.now - start)
        }
        let output = AgentProcess.tail(result.stdoutText + (result.standardError.isEmpty ? "" : "\n" + result.stderrText))
        let report = AgentReport.parse(result.stdoutText, format: reportFormat, exitCode: result.exitCode)
        var outcome = AgentOutcome(
            status: .completed, output: output, duration: result.duration, usage: report.usage,
            exitStatus: result.exitCode == 0 ? nil : result.exitCode)
        if let refusal = result.sandboxFailure {
            outcome.status = .failed(reason: "the sandbox (bubblewrap) could not start \(what): \(refusal)")
            return outcome
        }
        if result.timedOut, let timeout = spec.timeout {
            outcome.status = .timedOut(after: timeout)
            return outcome
        }
        switch (result.termination, report.verdict) {
        case (.signaled(let signal), _):
            outcome.status = .crashed(signal: signal)
        case (.exited(let code), .failed(let reason)):
            outcome.status = .failed(reason: "\(what) \(reason)" + (code == 0 ? "" : " (exit status \(code))"))
        case (.exited, .unavailable(let reason)):
            outcome.status = .unavailable(reason: "\(what): \(reason)")
        case (.exited(0), _):
            outcome.status = .completed
        case (.exited(let code), _):
            let detail = AgentProcess.tail(result.stderrText, limit: 300).trimmingCharacters(in: .whitespacesAndNewlines)
            outcome.status = .failed(reason: "\(what) exited with status \(code)" + (detail.isEmpty ? "" : ": \(detail)"))
        }
        return outcome
    }
}
