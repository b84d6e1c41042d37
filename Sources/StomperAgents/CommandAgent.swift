import Foundation
import StomperProcess

/// Any executable as an agent, given an argv template.
///
/// Placeholders: `{file}` (the file, relative to the worktree, which is the working directory),
/// `{worktree}` (absolute worktree path), `{prompt_file}` (a file holding the prompt, outside the
/// worktree), `{attempt}`. The prompt is also written to standard input.
public struct CommandAgent: Agent {
    public let argv: [String]
    public let environment: [String: String]
    public let identity: AgentIdentity

    public static let placeholders: Set<String> = ["{file}", "{worktree}", "{prompt_file}", "{attempt}"]

    /// Throws `AgentError` if `argv` is empty or uses an unknown `{placeholder}`.
    public init(argv: [String], environment: [String: String] = [:]) throws {
        guard let executable = argv.first, !executable.isEmpty else {
            throw AgentError(.badConfiguration,
                             "the command agent has no command: set agent.command in stomper.toml, e.g. command = [\"my-agent\", \"{file}\"]")
        }
        for word in argv {
            for match in word.matches(of: /\{[a-z_]+\}/) where !Self.placeholders.contains(String(match.output)) {
                throw AgentError(.badConfiguration,
                                 "unknown placeholder \(match.output) in agent.command; use \(Self.placeholders.sorted().joined(separator: ", "))")
            }
        }
        self.argv = argv
        self.environment = environment
        // Environment values (API keys) are deliberately not part of the identity.
        self.identity = AgentIdentity(kind: "command", name: (executable as NSString).lastPathComponent,
                                      settings: argv.joined(separator: "\u{1f}"))
    }

    public func fix(_ request: FixRequest) async throws -> AgentOutcome {
        let prompt = Prompt.build(for: request)
        let promptFile = request.scratchDirectory + "/prompt-\(UUID().uuidString).md"
        do {
            try FileManager.default.createDirectory(atPath: request.scratchDirectory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            try Data(prompt.utf8).write(to: URL(fileURLWithPath: promptFile))
        } catch {
            return AgentOutcome(status: .unavailable(reason: "cannot write the prompt file \(promptFile): \(error.localizedDescription)"), calls: 0)
        }
        defer { try? FileManager.default.removeItem(atPath: promptFile) }
        let values = ["{file}": request.path, "{worktree}": request.worktree, "{prompt_file}": promptFile,
                      "{attempt}": String(request.attempt)]
        let words = argv.map { word in
            values.reduce(word) { $0.replacingOccurrences(of: $1.key, with: $1.value) }
        }
        let spec = ProcessSpec(
            executable: words[0], arguments: Array(words.dropFirst()), workingDirectory: request.worktree,
            environment: environment.mapValues { Optional($0) }, input: Array(prompt.utf8), timeout: request.timeout)
        return await AgentProcess.run(spec, what: "agent `\(identity.name)`")
    }
}
