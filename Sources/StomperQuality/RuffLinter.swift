import Foundation
import StomperProcess

/// ruff (`ruff check --output-format json`).
///
/// Exit codes (reference §1.1.2): 0 clean, 1 diagnostics found, 2 ruff itself failed (bad
/// config, unknown rule); only 2 is an error. `filename` is always absolute and is made relative
/// to the root ruff ran in. ruff runs from the root so the project's own configuration applies.
public struct RuffLinter: Linter {
    public let name = "ruff"
    public var executable: String
    public var extraArguments: [String]
    /// Whether fixes marked unsafe count as fixable and are applied by `fixCommand`.
    public var unsafeFixes: Bool
    public var timeout: Duration
    /// Lints requests that are ready together in one process (`linters.ruff.batch`); nil: one
    /// process per request.
    public var batcher: RuffBatcher?

    public init(
        executable: String = "ruff", extraArguments: [String] = [], unsafeFixes: Bool = false,
        timeout: Duration = .seconds(300), batcher: RuffBatcher? = nil
    ) {
        self.executable = executable
        self.extraArguments = extraArguments
        self.unsafeFixes = unsafeFixes
        self.timeout = timeout
        self.batcher = batcher
    }

    /// ruff reads the file, the configuration files on the way to it (and what they `extend`),
    /// and, to tell first-party imports, whether the imported modules exist: a sparse worktree
    /// holds those. Not when its arguments name a configuration file of their own.
    public var readsOnlyConfiguration: Bool { !RuffArguments.nameConfiguration(extraArguments) }

    public func version() async throws -> String {
        let result = try await runTool(ProcessSpec(executable: executable, arguments: ["--version"], timeout: timeout))
        guard result.exitCode == 0 else {
            throw QualityError(
                .toolFailed, "`\(executable) --version` failed", tool: name,
                exitStatus: result.exitCode, standardError: trimmed(result.stderrText))
        }
        return result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func lint(paths: [String], root: String) async throws -> [Diagnostic] {
        // Only folders and Python files go to ruff (see `PathNormalizer.pythonPaths`).
        let named = !paths.isEmpty
        let paths = PathNormalizer.pythonPaths(paths, root: root, extensions: PathNormalizer.pythonExtensions + [".ipynb"]) ?? []
        if named && paths.isEmpty { return [] }
        if let batcher, !paths.isEmpty, paths.count <= RuffBatcher.batchablePaths, RuffBatcher.hasOwnConfiguration(root) {
            return try await batcher.lint(paths, root: root, with: self)
        }
        return try await lintAlone(paths, root: root)
    }

    /// `lint` in processes of its own (no paths: the whole tree).
    func lintAlone(_ paths: [String], root: String) async throws -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        for batch in PathBatches.split(paths) { diagnostics += try await lintBatch(batch, root: root) }
        return diagnostics
    }

    /// One `ruff check` of several roots' files, run from their common parent folder (every root
    /// is a folder of it), with every root writable in `sandbox`. Returns each request's
    /// diagnostics, relative to its root, in order.
    func lintTogether(_ requests: [(paths: [String], root: String)], sandbox: Sandbox?) async throws -> [[Diagnostic]] {
        let parent = (requests[0].root as NSString).deletingLastPathComponent
        let names = requests.map { ($0.root as NSString).lastPathComponent }
        precondition(requests.allSatisfy { ($0.root as NSString).deletingLastPathComponent == parent }, "a batch spans one folder's roots")
        var spec = ProcessSpec(
            executable: executable,
            arguments: ["check", "--no-fix", "--output-format", "json", "--no-cache", "--force-exclude"] + extraArguments
                + ["--"] + zip(names, requests).flatMap { name, request in request.paths.map { name + "/" + $0 } },
            workingDirectory: parent, timeout: timeout)
        spec.sandbox = sandbox.map { sandbox in requests.reduce(sandbox) { $0.writing($1.root) } }
        let result = try await runTool(spec)
        guard case .exited(let code) = result.termination, code == 0 || code == 1 else {
            throw QualityError(
                .toolFailed, "ruff failed", tool: name, commandLine: spec.commandLine,
                exitStatus: result.exitCode, standardError: trimmed(result.stderrText))
        }
        let found = try parse(result.standardOutput, root: parent)
        let all = found + lintFailures(result.stderrText, root: parent, reported: found)
        // A finding no request's root holds cannot be given back: the batcher lints each alone.
        if let stray = all.first(where: { diagnostic in !names.contains { diagnostic.path.hasPrefix($0 + "/") } }) {
            throw QualityError(
                .unreadableOutput, "ruff reported \(stray.path), outside every root of the batch", tool: name,
                commandLine: spec.commandLine)
        }
        return names.map { name in
            all.filter { $0.path.hasPrefix(name + "/") }.map { diagnostic in
                var diagnostic = diagnostic
                diagnostic.path = String(diagnostic.path.dropFirst(name.count + 1))
                return diagnostic
            }
        }
    }

    /// One `ruff check` of `paths` (none: the whole tree).
    private func lintBatch(_ paths: [String], root: String) async throws -> [Diagnostic] {
        let spec = ProcessSpec(
            executable: executable,
            // `--no-fix`: a project with `fix = true` in its ruff settings would otherwise have ruff
            // rewrite the files it is only asked to report on (`stomper check` editing the checkout).
            arguments: ["check", "--no-fix", "--output-format", "json", "--no-cache", "--force-exclude"] + extraArguments
                + ["--"] + (paths.isEmpty ? ["."] : paths),
            workingDirectory: root, timeout: timeout)
        let result = try await runTool(spec)
        switch result.termination {
        case .exited(0), .exited(1):
            let diagnostics = try parse(result.standardOutput, root: root)
            return diagnostics + lintFailures(result.stderrText, root: root, reported: diagnostics)
        default:
            throw QualityError(
                .toolFailed, "ruff failed", tool: name, commandLine: spec.commandLine,
                exitStatus: result.exitCode, standardError: trimmed(result.stderrText))
        }
    }

    /// `ruff check --fix --unfixable CODES`: the rules left out keep their findings.
    public func fixCommand(path: String, root: String, leaving codes: Set<String>) -> FixCommand? {
        let rules = codes.filter { $0.first?.isLetter == true && $0.contains(where: \.isNumber) }.sorted()
        guard var command = fixCommand(path: path, root: root), !rules.isEmpty else { return fixCommand(path: path, root: root) }
        let separator = command.spec.arguments.firstIndex(of: "--")!
        command.spec.arguments.insert(contentsOf: ["--unfixable", rules.joined(separator: ",")], at: separator)
        return command
    }

    public func fixCommand(path: String, root: String) -> FixCommand? {
        let spec = ProcessSpec(
            executable: executable,
            arguments: ["check", "--fix", "--no-cache", "--force-exclude", "--output-format", "json"]
                // The project's own `unsafe-fixes = true` must not apply what stomper did not target.
                + (unsafeFixes ? ["--unsafe-fixes"] : ["--no-unsafe-fixes"]) + extraArguments + ["--", path],
            workingDirectory: root, timeout: timeout)
        // 1 means "diagnostics remain after fixing"; 2 is a ruff failure.
        return FixCommand(spec: spec, successExitCodes: [0, 1])
    }

    /// Parses ruff's JSON array. Tolerates the fields older versions lack (`name`, `severity`)
    /// and the null `code` of syntax errors before ruff 0.13.
    public func parse(_ output: [UInt8], root: String) throws -> [Diagnostic] {
        let records: [Record]
        do {
            records = try JSONDecoder().decode([Record].self, from: Data(output))
        } catch {
            throw QualityError(
                .unreadableOutput, "ruff printed something that is not its JSON report", tool: name,
                standardError: trimmed(String(decoding: output.prefix(400), as: UTF8.self)),
                underlying: error)
        }
        let base = PathNormalizer(root: root)
        return records.map { record in
            let applicability = record.fix?.applicability
            return Diagnostic(
                tool: name,
                path: base.relative(record.filename),
                line: record.location?.row ?? 1,
                column: record.location?.column ?? 1,
                endLine: record.end_location?.row,
                endColumn: record.end_location?.column,
                code: record.code ?? "invalid-syntax",
                message: record.message,
                severity: .error,
                fixable: applicability == "safe" || (unsafeFixes && applicability == "unsafe"),
                url: record.url)
        }
    }

    /// A file ruff could not lint — bytes that are not UTF-8, a file it cannot read — is not a
    /// clean file. With `E902` selected, ruff reports it in the JSON; otherwise it only warns on
    /// stderr (`warning: Failed to lint a.py: stream did not contain valid UTF-8`; older versions
    /// say `error:`) and the file looks clean. Each such line becomes an `E902` diagnostic (as ruff
    /// names it), unless the JSON already has one for the file, so verification counts it as
    /// introduced instead of landing an unreadable file as fixed.
    public func lintFailures(_ standardError: String, root: String, reported: [Diagnostic] = []) -> [Diagnostic] {
        let base = PathNormalizer(root: root)
        var failures: [Diagnostic] = []
        for line in standardError.split(whereSeparator: \.isNewline) {
            var rest = Substring(line.trimmingCharacters(in: .whitespaces))
            guard let prefix = ["warning: Failed to lint ", "error: Failed to lint "].first(where: { rest.hasPrefix($0) }) else { continue }
            rest = rest.dropFirst(prefix.count)
            guard let separator = rest.range(of: ": ") else { continue }
            let path = base.relative(String(rest[..<separator.lowerBound]))
            let reason = String(rest[separator.upperBound...])
            let known = (reported + failures).contains { $0.path == path && ($0.code == "E902" || $0.code == "invalid-syntax") }
            if known { continue }
            failures.append(
                Diagnostic(
                    tool: name, path: path, line: 1, column: 1, code: "E902",
                    message: "ruff failed to lint the file: \(reason)", severity: .error,
                    url: "https://docs.astral.sh/ruff/rules/io-error"))
        }
        return failures
    }

    private struct Record: Decodable {
        struct Location: Decodable {
            var row: Int
            var column: Int
        }
        struct Fix: Decodable {
            var applicability: String?
        }
        var code: String?
        var filename: String
        var location: Location?
        var end_location: Location?
        var message: String
        var fix: Fix?
        var url: String?
    }

    private func runTool(_ spec: ProcessSpec) async throws -> ProcessResult {
        try await ToolProcess.run(
            spec, tool: name,
            missing:
                "ruff is not installed (`\(executable)` not found): install it with `pip install ruff`, or set linters.ruff.executable in stomper.toml"
        )
    }
}

func trimmed(_ text: String, limit: Int = 2000) -> String {
    let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
    return text.count > limit ? String(text.prefix(limit)) + "…" : text
}
