import Foundation
import StomperAgents
public import StomperProcess

/// The project's test command, run in the worktree after a fix passed the linters: `{file}` is
/// replaced by the fixed file's path. Exit status 0 passes; anything else (a timeout included)
/// fails, and the end of the output goes into the next attempt's prompt.
public struct TestCommand: Sendable, Hashable {
    public struct Result: Sendable, Hashable {
        public var passed: Bool
        /// The end of stdout and stderr, secrets removed.
        public var output: String
        public var seconds: Double
        /// A one-line reason for reports.
        public var summary: String
    }

    public var argv: [String]
    public var timeout: Duration
    /// The containment the command runs in (no network), with the worktree made writable; nil
    /// runs it uncontained.
    public var sandbox: Sandbox?

    /// Throws `CoreError` if `argv` is empty or its first word is a placeholder.
    public init(argv: [String], timeout: Duration) throws {
        guard let first = argv.first, !first.isEmpty, !first.contains("{file}") else {
            throw CoreError(.badConfiguration, "verify.test_command must start with an executable, e.g. [\"pytest\", \"-q\", \"{file}\"]")
        }
        self.argv = argv
        self.timeout = timeout
    }

    public func run(path: String, in worktree: String) async -> Result {
        let words = argv.map { $0.replacingOccurrences(of: "{file}", with: path) }
        let spec = ProcessSpec(executable: words[0], arguments: Array(words.dropFirst()), workingDirectory: worktree,
                               environment: ["PYTHONDONTWRITEBYTECODE": "1"], timeout: timeout,
                               sandbox: sandbox?.writing(worktree))
        let start = ContinuousClock.now
        do {
            let result = try await ProcessRunner.run(spec)
            let seconds = (ContinuousClock.now - start).seconds
            let output = Self.tail(result.stdoutText + (result.standardError.isEmpty ? "" : "\n" + result.stderrText))
            if result.timedOut {
                return Result(passed: false, output: output, seconds: seconds, summary: "`\(words[0])` timed out after \(timeout.formattedSeconds)")
            }
            switch result.termination {
            case .exited(0):
                return Result(passed: true, output: output, seconds: seconds, summary: "passed")
            case .exited(let code):
                return Result(passed: false, output: output, seconds: seconds, summary: "`\(spec.commandLine)` exited with status \(code)")
            case .signaled(let signal):
                return Result(passed: false, output: output, seconds: seconds, summary: "`\(words[0])` was killed by signal \(signal)")
            }
        } catch {
            return Result(passed: false, output: "", seconds: (ContinuousClock.now - start).seconds,
                          summary: "the test command could not be run: \(error)")
        }
    }

    static func tail(_ text: String, limit: Int = 3000) -> String {
        let text = Redactor.process.redact(text)
        return text.count > limit ? "…" + String(text.suffix(limit)) : text
    }
}
