public import StomperProcess

/// A tool that reports diagnostics for files, and possibly fixes some of them itself.
public protocol Linter: Sendable {
    /// Short name used in messages, commit subjects and configuration (`ruff`).
    var name: String { get }

    /// True when linting a file reads only that file and the configuration files on the way to
    /// it (and, for Python, the modules it imports): the linter can verify in a sparse worktree
    /// (`fix.worktree`) with the same result as in a full one.
    var readsOnlyConfiguration: Bool { get }

    /// The tool's version string, asked once per run (it goes into idempotency keys).
    func version() async throws -> String

    /// Lints `paths` (relative to `root`; empty means the whole tree) in one process and returns
    /// every diagnostic with its path relative to `root`.
    func lint(paths: [String], root: String) async throws -> [Diagnostic]

    /// The command that applies the tool's own fixes to one file (or prints the diff that does,
    /// see `FixCommand.Output`), or nil if it has none.
    func fixCommand(path: String, root: String) -> FixCommand?

    /// The command that applies the tool's fixes except those of `codes`: rules the file already
    /// breaks that the selection left out (`--error-type`, `--ignore`), so the fix honours the
    /// selection. Rules a fix itself triggers (an import it made unused) are still fixed. By
    /// default the tool's whole fix, for tools that cannot limit it.
    func fixCommand(path: String, root: String, leaving codes: Set<String>) -> FixCommand?
}

/// How to run a linter's own fixer on one file.
public struct FixCommand: Sendable, Hashable {
    /// What the fixer does with its result.
    public enum Output: Sendable, Hashable {
        /// It rewrites the file itself (`ruff check --fix`); its standard output is only a report.
        case rewritesFile
        /// It writes nothing and prints a unified diff of the one file (`shellcheck -f diff`), which
        /// the caller applies with `UnifiedDiff`; empty output means nothing to fix.
        case unifiedDiff
    }

    public var spec: ProcessSpec
    /// Exit statuses that mean the fixer ran (ruff exits 1 when diagnostics remain after fixing).
    public var successExitCodes: Set<Int32>
    public var output: Output

    public init(spec: ProcessSpec, successExitCodes: Set<Int32>, output: Output = .rewritesFile) {
        self.spec = spec
        self.successExitCodes = successExitCodes
        self.output = output
    }
}

extension Linter {
    /// Linters read the whole tree unless they say otherwise (mypy follows imports; a SARIF tool
    /// may read anything).
    public var readsOnlyConfiguration: Bool { false }

    public func fixCommand(path: String, root: String, leaving codes: Set<String>) -> FixCommand? {
        fixCommand(path: path, root: root)
    }

    /// Lints once and groups the diagnostics by file, each file's list sorted.
    public func lintGrouped(paths: [String], root: String) async throws -> [String: [Diagnostic]] {
        Dictionary(grouping: try await lint(paths: paths, root: root), by: \.path).mapValues { $0.sorted() }
    }
}
