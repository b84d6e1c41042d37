import Foundation
import StomperAgents
public import StomperProcess

/// The project's test command, run in the worktree after a fix passed the linters: `{file}` is
/// replaced by the fixed file's path, `{test_file}` by the test file that goes with it (see
/// `testFile(for:exists:)`). Exit status 0 passes; anything else (a timeout included) fails, and
/// the end of the output goes into the next attempt's prompt.
public struct TestCommand: Sendable, Hashable {
    /// What runs when the command names `{test_file}` and no test file goes with the fixed file
    /// (`verify.test_missing`).
    public enum WithoutTestFile: String, Sendable, Hashable, CaseIterable, Codable {
        /// The command does not run; the fix counts as passing its tests (the linters still decide).
        case skip
        /// The command runs without the words holding `{test_file}`: `pytest -q {test_file}` runs
        /// the whole suite.
        case all
    }

    /// When the command runs (`verify.test_scope`).
    public enum Scope: String, Sendable, Hashable, CaseIterable, Codable {
        /// After each attempt the linters accept, with `{file}` and `{test_file}` filled in.
        case file
        /// After each attempt, the whole command: the words holding a placeholder are left out.
        case all
        /// Once, after the run's last landing, the whole command at the branch's tip; if it fails
        /// where it passed before the run, the run's fixes are bisected and the culprits reverted
        /// (`FinalTests`). Attempts are verified by the linters alone.
        case final
    }

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
    /// `verify.test_map`: `REGEX -> TEMPLATE` rules, tried in order.
    public var testMap: [TestMapRule] = []
    public var withoutTestFile: WithoutTestFile = .skip
    public var scope: Scope = .file

    /// Throws `CoreError` if `argv` is empty or its first word is a placeholder.
    public init(argv: [String], timeout: Duration) throws {
        guard let first = argv.first, !first.isEmpty, !first.contains("{file}"), !first.contains("{test_file}") else {
            throw CoreError(.badConfiguration, "verify.test_command must start with an executable, e.g. [\"pytest\", \"-q\", \"{file}\"]")
        }
        self.argv = argv
        self.timeout = timeout
    }

    /// Whether the command names the test file of the fixed file.
    public var usesTestFile: Bool { argv.contains { $0.contains("{test_file}") } }

    /// The first rule's result that `exists` (relative to the worktree root), or nil: a file that
    /// is itself a test (its name starts with `test_` or ends with `_test.py`) is its own test file.
    public func testFile(for path: String, exists: (String) -> Bool) -> String? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        if name.hasPrefix("test_") || name.hasSuffix("_test.py") { return path }
        for rule in testMap {
            if let candidate = rule.apply(to: path), candidate != path, exists(candidate) { return candidate }
        }
        return nil
    }

    /// The command line for `path`, or nil when it should not run (`{test_file}` without a test
    /// file, `withoutTestFile = .skip`).
    public func words(for path: String, in worktree: String) -> [String]? {
        if scope != .file { return suiteWords }
        var argv = argv
        if usesTestFile {
            let manager = FileManager.default
            if let test = testFile(for: path, exists: { manager.fileExists(atPath: worktree + "/" + $0) }) {
                argv = argv.map { $0.replacingOccurrences(of: "{test_file}", with: test) }
            } else if withoutTestFile == .all {
                argv = argv.filter { !$0.contains("{test_file}") }
            } else {
                return nil
            }
        }
        return argv.map { $0.replacingOccurrences(of: "{file}", with: path) }
    }

    /// The whole command: every word holding `{file}` or `{test_file}` left out.
    public var suiteWords: [String] {
        argv.filter { !$0.contains("{file}") && !$0.contains("{test_file}") }
    }

    public func run(path: String, in worktree: String) async -> Result {
        guard let words = words(for: path, in: worktree) else {
            return Result(passed: true, output: "", seconds: 0, summary: "no test file for \(path): tests skipped (verify.test_missing)")
        }
        return await run(words, in: worktree)
    }

    /// The whole command (`suiteWords`) in `worktree`.
    public func runSuite(in worktree: String) async -> Result {
        await run(suiteWords, in: worktree)
    }

    private func run(_ words: [String], in worktree: String) async -> Result {
        let spec = ProcessSpec(
            executable: words[0], arguments: Array(words.dropFirst()), workingDirectory: worktree,
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
            if let refusal = result.sandboxFailure {
                return Result(
                    passed: false, output: output, seconds: seconds,
                    summary: "the sandbox (bubblewrap) could not start the test command: \(refusal)")
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
            return Result(
                passed: false, output: "", seconds: (ContinuousClock.now - start).seconds,
                summary: "the test command could not be run: \(error)")
        }
    }

    static func tail(_ text: String, limit: Int = 3000) -> String {
        let text = Redactor.process.redact(text)
        return text.count > limit ? "…" + String(text.suffix(limit)) : text
    }
}
