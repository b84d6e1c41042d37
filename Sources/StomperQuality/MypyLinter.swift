import Foundation
import StomperProcess

/// mypy (`mypy -O json`, mypy ≥ 1.11), run from the root so the project's configuration applies.
///
/// Output is JSON Lines on stdout mixed with text (reference §1.2), so only lines starting with
/// `{` are read. Exit codes: 0 clean, 1 type errors, 2 blocking error. Exit 2 with JSON lines is a
/// syntax error reported as diagnostics (`code: "syntax"`); exit 2 without any is mypy failing
/// (missing file, bad flag) and becomes an error carrying what it printed.
///
/// Columns are 0-based in mypy's JSON and become 1-based here; `end_column` is a 0-based
/// exclusive end (mypy ≥ 1.20), so it too gets +1.
///
/// Standalone notes (`reveal_type` output, "See …" follow-ups) are not errors and there is
/// nothing to fix in them, so they are dropped unless `includeNotes` is set (then as `.info`).
/// Notes attached to an error arrive in its `hint`: a URL there becomes the diagnostic's `url`,
/// other hint lines are appended to the message, because they often say how to fix it.
///
/// mypy never writes `.mypy_cache` into the tree: `--cache-dir` points at the `cache`'s folder
/// for the root linted (see `MypyCache`), at `cacheDirectory`, or at `/dev/null`, which mypy
/// documents as "don't write a cache". Caches in a worktree would show up as changes of a fix.
///
/// One file is checked with its imports followed as usual and only that file's diagnostics kept
/// (unless mypy stopped on a blocking error elsewhere, which is reported as it is). The older
/// `--follow-imports=silent` gave the same diagnostics, but it is an option mypy records in every
/// cache entry, so a verification could never reuse what planning's lint of the whole selection
/// cached.
public struct MypyLinter: Linter {
    public let name = "mypy"
    public var executable: String
    public var extraArguments: [String]
    /// A folder outside the repository for mypy's cache, shared by every root; nil means no cache
    /// unless `cache` is set. Only for one process linting one root at a time (tests, one-off use).
    public var cacheDirectory: String?
    /// Caches per root, seeded from the main working tree's; takes precedence over `cacheDirectory`.
    public var cache: MypyCache?
    public var includeNotes: Bool
    public var timeout: Duration

    /// `-O json` first appeared in mypy 1.11 (reference §1.2).
    public static let minimumVersion = "1.11"

    public init(
        executable: String = "mypy", extraArguments: [String] = [], cacheDirectory: String? = nil,
        cache: MypyCache? = nil, includeNotes: Bool = false, timeout: Duration = .seconds(600)
    ) {
        self.executable = executable
        self.extraArguments = extraArguments
        self.cacheDirectory = cacheDirectory
        self.cache = cache
        self.includeNotes = includeNotes
        self.timeout = timeout
    }

    /// `mypy --version`, e.g. `mypy 2.4.1 (compiled: yes)`. Throws `.unsupportedVersion` below 1.11.
    public func version() async throws -> String {
        let text = try await ToolProcess.versionOutput(executable, tool: name, timeout: timeout, missing: missingMessage)
        guard let found = ToolVersion(in: text) else {
            throw QualityError(
                .unreadableOutput, "cannot read a version number in `\(text)`", tool: name,
                commandLine: "\(executable) --version")
        }
        guard let minimum = ToolVersion(in: Self.minimumVersion), found >= minimum else {
            throw QualityError(
                .unsupportedVersion,
                "mypy \(found) is too old: stomper needs mypy ≥ \(Self.minimumVersion) for `-O json`; upgrade with `pip install -U 'mypy>=\(Self.minimumVersion)'`",
                tool: name, commandLine: "\(executable) --version")
        }
        return text
    }

    /// Named files that are not Python (`.py`, `.pyi`) are left out: given a shell script, mypy
    /// would report it as a syntax error. When nothing is left, mypy does not run.
    public func lint(paths: [String], root: String) async throws -> [Diagnostic] {
        let paths = PathNormalizer.pythonPaths(paths, root: root)
        if paths == [] { return [] }
        guard let cache else {
            return try await lint(paths: paths ?? [], root: root, cacheDirectory: cacheDirectory)
        }
        return try await cache.withDirectory(for: root, patience: timeout) { directory in
            try await lint(paths: paths ?? [], root: root, cacheDirectory: directory)
        }
    }

    /// Batches of a long list each run mypy; a module several batches import is reported once.
    private func lint(paths: [String], root: String, cacheDirectory: String?) async throws -> [Diagnostic] {
        let batches = PathBatches.split(paths)
        guard batches.count > 1 else { return try await lintBatch(paths, root: root, cacheDirectory: cacheDirectory) }
        var seen = Set<Diagnostic>()
        var diagnostics: [Diagnostic] = []
        for batch in batches {
            for diagnostic in try await lintBatch(batch, root: root, cacheDirectory: cacheDirectory) where seen.insert(diagnostic).inserted {
                diagnostics.append(diagnostic)
            }
        }
        return diagnostics
    }

    private func lintBatch(_ paths: [String], root: String, cacheDirectory: String?) async throws -> [Diagnostic] {
        var spec = ProcessSpec(
            executable: executable, arguments: arguments(paths: paths, root: root, cacheDirectory: cacheDirectory),
            workingDirectory: root, timeout: timeout)
        // Contained, the cache is the one place outside the worktree mypy writes.
        if let cacheDirectory, let sandbox = Sandbox.current { spec.sandbox = sandbox.writing(cacheDirectory) }
        let result = try await ToolProcess.run(spec, tool: name, missing: missingMessage)
        let onlyFile = Self.isOneFile(paths, root: root) ? PathNormalizer(root: root).relative(paths[0]) : nil
        switch result.termination {
        case .exited(0), .exited(1):
            let diagnostics = try parse(result.standardOutput, root: root)
            return onlyFile.map { file in diagnostics.filter { $0.path == file } } ?? diagnostics
        case .exited(2) where !result.timedOut:
            let diagnostics = try parse(result.standardOutput, root: root)
            if diagnostics.isEmpty && !Self.hasJSONLines(result.standardOutput) {
                throw ToolProcess.failure("mypy failed", tool: name, spec: spec, result: result)
            }
            return diagnostics
        default:
            throw ToolProcess.failure("mypy failed", tool: name, spec: spec, result: result)
        }
    }

    /// The command line after the executable; exposed for tests and `stomper inspect`.
    public func arguments(paths: [String], root: String) -> [String] {
        arguments(paths: paths, root: root, cacheDirectory: cache?.directory(for: root) ?? cacheDirectory)
    }

    func arguments(paths: [String], root: String, cacheDirectory: String?) -> [String] {
        ["-O", "json", "--cache-dir=\(cacheDirectory ?? "/dev/null")"] + extraArguments + ["--"] + (paths.isEmpty ? ["."] : paths)
    }

    /// One file (not a folder): only its own diagnostics are kept, not those of the modules it imports.
    static func isOneFile(_ paths: [String], root: String) -> Bool {
        paths.count == 1 && !PathNormalizer.isDirectory(paths[0].hasPrefix("/") ? paths[0] : root + "/" + paths[0])
    }

    /// mypy has no fixer.
    public func fixCommand(path: String, root: String) -> FixCommand? { nil }

    /// Parses mypy's JSON Lines, skipping the text lines it mixes in.
    public func parse(_ output: [UInt8], root: String) throws -> [Diagnostic] {
        let base = PathNormalizer(root: root)
        let decoder = JSONDecoder()
        var diagnostics: [Diagnostic] = []
        for line in output.split(separator: UInt8(ascii: "\n")) where line.first == UInt8(ascii: "{") {
            let record: Record
            do {
                record = try decoder.decode(Record.self, from: Data(line))
            } catch {
                throw QualityError(
                    .unreadableOutput, "mypy printed a line that is not its JSON report", tool: name,
                    standardError: trimmed(String(decoding: line.prefix(400), as: UTF8.self)),
                    underlying: error)
            }
            let isNote = record.severity == "note"
            if isNote && !includeNotes { continue }
            let (url, hintText) = Self.split(hint: record.hint)
            let column = max(1, (record.column ?? 0) + 1)
            let hasEnd = record.end_line != nil && record.end_column != nil
            diagnostics.append(
                Diagnostic(
                    tool: name,
                    path: base.relative(record.file),
                    line: max(1, record.line ?? 1),
                    column: column,
                    endLine: hasEnd ? record.end_line : nil,
                    endColumn: hasEnd ? record.end_column.map { max(column, $0 + 1) } : nil,
                    code: record.code ?? "misc",
                    message: hintText.isEmpty ? record.message : "\(record.message) (\(hintText))",
                    severity: isNote ? .info : .error,
                    fixable: false,
                    url: url))
        }
        return diagnostics
    }

    /// Splits a hint into its first URL and the rest of its text, lines joined with "; ".
    static func split(hint: String?) -> (url: String?, text: String) {
        guard let hint else { return (nil, "") }
        var url: String?
        var rest: [String] = []
        for line in hint.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) where !line.isEmpty {
            let words = line.split(separator: " ")
            if let link = words.first(where: { $0.hasPrefix("https://") || $0.hasPrefix("http://") }) {
                url = url ?? String(link)
                // "See URL" carries nothing but the link.
                if words.count <= 2 { continue }
            }
            rest.append(line)
        }
        return (url, rest.joined(separator: "; "))
    }

    private static func hasJSONLines(_ output: [UInt8]) -> Bool {
        output.split(separator: UInt8(ascii: "\n")).contains { $0.first == UInt8(ascii: "{") }
    }

    private var missingMessage: String {
        "mypy is not installed (`\(executable)` not found): install it with `pip install mypy`, or set linters.mypy.executable in stomper.toml"
    }

    private struct Record: Decodable {
        var file: String
        var line: Int?
        var column: Int?
        var end_line: Int?
        var end_column: Int?
        var message: String
        var hint: String?
        var code: String?
        var severity: String?
    }
}
