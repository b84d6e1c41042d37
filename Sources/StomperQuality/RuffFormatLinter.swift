import Foundation
import StomperProcess

/// ruff's formatter as a linter: one `unformatted` diagnostic per file `ruff format --check`
/// would change, fixed by running `ruff format` on the file.
///
/// How the report is read, across versions (each was run): ruff ≥ 0.16 prints a JSON array when
/// the output format is `json`; older versions have no JSON report for the formatter (0.14 and
/// 0.15 accept the option only in preview, ≤ 0.13 reject the flag) and print
/// `Would reformat: PATH` lines instead. The format is therefore asked for through the
/// `RUFF_OUTPUT_FORMAT` variable, which versions without it ignore, and the output's shape says
/// which of the two was printed.
///
/// Exit codes: 0 all formatted, 1 some would be reformatted, 2 error. A file ruff cannot parse
/// is not "unformatted": `ruff check` reports the syntax error anyway, so such files are skipped
/// (JSON records with code `invalid-syntax`; `error: Failed to parse PATH…` lines on stderr for
/// old versions) and exit 2 is accepted when they explain it. Any other error (a missing file,
/// bad configuration) is a tool failure.
public struct RuffFormatLinter: Linter {
    public let name = "ruff-format"
    public var executable: String
    public var extraArguments: [String]
    public var timeout: Duration

    /// Like `ruff check`: the file and its configuration.
    public var readsOnlyConfiguration: Bool { !RuffArguments.nameConfiguration(extraArguments) }

    public static let documentationURL = "https://docs.astral.sh/ruff/formatter/"

    public init(executable: String = "ruff", extraArguments: [String] = [], timeout: Duration = .seconds(300)) {
        self.executable = executable
        self.extraArguments = extraArguments
        self.timeout = timeout
    }

    public func version() async throws -> String {
        try await ToolProcess.versionOutput(executable, tool: name, timeout: timeout, missing: missingMessage)
    }

    /// Named files that are not Python (`.py`, `.pyi`, `.ipynb`) are left out: ruff would try to
    /// parse a shell script as Python. When nothing is left, ruff does not run.
    public func lint(paths: [String], root: String) async throws -> [Diagnostic] {
        let selected = PathNormalizer.pythonPaths(paths, root: root, extensions: PathNormalizer.pythonExtensions + [".ipynb"]) ?? []
        if selected.isEmpty && !paths.isEmpty { return [] }
        var diagnostics: [Diagnostic] = []
        for batch in PathBatches.split(selected) { diagnostics += try await lintBatch(batch, root: root) }
        return diagnostics.sorted()
    }

    /// One `ruff format --check` of `selected` (none: the whole tree).
    private func lintBatch(_ selected: [String], root: String) async throws -> [Diagnostic] {
        let spec = ProcessSpec(
            executable: executable,
            arguments: ["format", "--check", "--no-cache", "--force-exclude"] + extraArguments
                + ["--"] + (selected.isEmpty ? ["."] : selected),
            workingDirectory: root, environment: ["RUFF_OUTPUT_FORMAT": "json"], timeout: timeout)
        let result = try await ToolProcess.run(spec, tool: name, missing: missingMessage)
        guard let status = result.exitCode, (0...2).contains(status), !result.timedOut else {
            throw ToolProcess.failure("ruff format failed", tool: name, spec: spec, result: result)
        }
        let report = try parse(stdout: result.standardOutput, stderr: result.stderrText, root: root)
        if let problem = report.failures.first {
            throw QualityError(
                .toolFailed, "ruff format could not check \(problem)", tool: name,
                commandLine: spec.commandLine, exitStatus: status, standardError: trimmed(result.stderrText))
        }
        if status == 2 && report.unparsable.isEmpty {
            throw ToolProcess.failure("ruff format failed", tool: name, spec: spec, result: result)
        }
        return report.unformatted.sorted().map { path in
            Diagnostic(
                tool: name, path: path, line: 1, column: 1, code: "unformatted",
                message: "File would be reformatted by `ruff format`", severity: .error, fixable: true,
                url: Self.documentationURL)
        }
    }

    /// `ruff format --no-cache --force-exclude -- FILE`; exit 0 means the file was formatted.
    public func fixCommand(path: String, root: String) -> FixCommand? {
        let spec = ProcessSpec(
            executable: executable,
            arguments: ["format", "--no-cache", "--force-exclude"] + extraArguments + ["--", path],
            workingDirectory: root, timeout: timeout)
        return FixCommand(spec: spec, successExitCodes: [0])
    }

    /// What one `ruff format --check` run reported.
    struct Report: Equatable {
        /// Files that would be reformatted, relative to the root.
        var unformatted: Set<String> = []
        /// Files ruff could not parse (skipped: `ruff check` reports them).
        var unparsable: Set<String> = []
        /// Other per-file errors, as `path: message`.
        var failures: [String] = []
    }

    func parse(stdout: [UInt8], stderr: String, root: String) throws -> Report {
        let base = PathNormalizer(root: root)
        var report = Report()
        let text = String(decoding: stdout, as: UTF8.self)
        if text.drop(while: \.isWhitespace).first == "[" {
            let records: [Record]
            do {
                records = try JSONDecoder().decode([Record].self, from: Data(stdout))
            } catch {
                throw QualityError(
                    .unreadableOutput, "ruff format printed something that is not its JSON report",
                    tool: name, standardError: trimmed(String(text.prefix(400))), underlying: error)
            }
            for record in records {
                let path = base.relative(record.filename)
                switch record.code {
                case "unformatted": report.unformatted.insert(path)
                case "invalid-syntax": report.unparsable.insert(path)
                default: report.failures.append("\(path): \(record.message)")
                }
            }
            return report
        }
        // ruff < 0.16: text lines.
        for line in text.split(separator: "\n") where line.hasPrefix(Self.wouldReformat) {
            report.unformatted.insert(base.relative(String(line.dropFirst(Self.wouldReformat.count))))
        }
        for line in stderr.split(separator: "\n") where line.hasPrefix("error: ") {
            if line.hasPrefix(Self.failedToParse), let path = Self.parseFailurePath(line) {
                report.unparsable.insert(base.relative(path))
            } else {
                report.failures.append(String(line.dropFirst("error: ".count)))
            }
        }
        return report
    }

    private static let wouldReformat = "Would reformat: "
    private static let failedToParse = "error: Failed to parse "

    /// `error: Failed to parse bad.py:1:7: message` → `bad.py`.
    private static func parseFailurePath(_ line: Substring) -> String? {
        let rest = line.dropFirst(failedToParse.count)
        guard let match = rest.firstMatch(of: #/^(.+?):\d+:\d+: /#) else { return nil }
        return String(match.output.1)
    }

    private var missingMessage: String {
        "ruff is not installed (`\(executable)` not found): install it with `pip install ruff`, or set linters.ruff.executable in stomper.toml"
    }

    private struct Record: Decodable {
        var code: String?
        var filename: String
        var message: String
    }
}

/// What ruff's command-line arguments say about the files it reads.
enum RuffArguments {
    /// Whether `arguments` name a configuration file (`--config PATH`, `--config=PATH`; a
    /// `--config KEY=VALUE` override names none).
    static func nameConfiguration(_ arguments: [String]) -> Bool {
        for (index, argument) in arguments.enumerated() {
            let value: String
            if argument == "--config", index + 1 < arguments.count {
                value = arguments[index + 1]
            } else if argument.hasPrefix("--config=") {
                value = String(argument.dropFirst("--config=".count))
            } else {
                continue
            }
            // ruff takes an inline `key = value` override as well as a path.
            if !value.contains("=") { return true }
        }
        return false
    }
}
