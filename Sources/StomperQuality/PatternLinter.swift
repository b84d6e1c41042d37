import Foundation
import StomperProcess

/// Any tool that prints one finding per line, such as `file:line:col: code message`, read with a
/// regular expression.
///
/// The pattern's named groups: `file`, `line` and `message` are required; `col`, `code` and
/// `severity` are optional. Without `col` a finding is at column 1; without `code` its code is
/// the linter's name. `severity` maps `error`/`fatal`/`e` to error, `warning`/`w` to warning,
/// anything else (`info`, `style`, `note`, `convention`) to info; without it every finding is an
/// error. Lines that do not match are ignored (summaries, banners); only stdout is read.
///
/// Paths to lint are appended to `command`, or, when the command has an argument that is exactly
/// `{files}`, put in its place (for tools that want options after the files). An empty `paths`
/// adds nothing, so the tool's own default applies (usually "the whole project").
public struct PatternLinter: Linter {
    public static let defaultPattern = #"^(?<file>[^:\n]+):(?<line>\d+):(?<col>\d+): (?<code>\S+) (?<message>.*)$"#
    public static let filesPlaceholder = "{files}"

    public let name: String
    public let command: [String]
    public let pattern: String
    public var successExitCodes: Set<Int32>
    public var versionCommand: [String]?
    /// What the tool's first column is: 1 (most tools) or 0.
    public let columnBase: Int
    public var timeout: Duration

    /// Throws `.badConfiguration` for an empty command, a pattern that does not compile or lacks
    /// one of the required groups, or a column base other than 0 or 1.
    public init(
        name: String, command: [String], pattern: String = PatternLinter.defaultPattern,
        successExitCodes: Set<Int32> = [0, 1], versionCommand: [String]? = nil, columnBase: Int = 1,
        timeout: Duration = .seconds(600)
    ) throws(QualityError) {
        guard !command.isEmpty, !command[0].isEmpty else {
            throw QualityError(.badConfiguration, "\(name): the command is empty", tool: name)
        }
        guard columnBase == 0 || columnBase == 1 else {
            throw QualityError(.badConfiguration, "\(name): the column base must be 0 or 1, not \(columnBase)", tool: name)
        }
        do {
            _ = try Regex(pattern)
        } catch {
            throw QualityError(
                .badConfiguration, "\(name): the output pattern `\(pattern)` is not a valid regular expression: \(error)",
                tool: name, underlying: error)
        }
        for group in ["file", "line", "message"]
        where !["(?<\(group)>", "(?P<\(group)>", "(?'\(group)'"].contains(where: pattern.contains) {
            throw QualityError(.badConfiguration, "\(name): the output pattern needs a named group (?<\(group)>…)", tool: name)
        }
        self.name = name
        self.command = command
        self.pattern = pattern
        self.successExitCodes = successExitCodes
        self.versionCommand = versionCommand
        self.columnBase = columnBase
        self.timeout = timeout
    }

    /// The output of `versionCommand`; without one, the command line, which is stable but does
    /// not change when the tool is upgraded (set `versionCommand` when that matters).
    public func version() async throws -> String {
        if let versionCommand {
            return try await ToolProcess.versionText(versionCommand, root: nil, tool: name, timeout: timeout)
        }
        return "\(name) (command: \(command.joined(separator: " ")))"
    }

    public func lint(paths: [String], root: String) async throws -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        for batch in PathBatches.split(paths) { diagnostics += try await lintBatch(batch, root: root) }
        return diagnostics
    }

    /// One run of the command on `paths`.
    private func lintBatch(_ paths: [String], root: String) async throws -> [Diagnostic] {
        let spec = ProcessSpec(
            executable: command[0], arguments: arguments(paths: paths), workingDirectory: root,
            timeout: timeout)
        let result = try await ToolProcess.run(
            spec, tool: name, missing: "\(name): `\(command[0])` not found; install it or fix the command in stomper.toml")
        guard let status = result.exitCode, successExitCodes.contains(status), !result.timedOut else {
            throw ToolProcess.failure("\(name) failed", tool: name, spec: spec, result: result)
        }
        return try parse(result.stdoutText, root: root)
    }

    /// The arguments after the program, with `paths` in place of `{files}` or at the end.
    public func arguments(paths: [String]) -> [String] {
        let rest = Array(command.dropFirst())
        guard rest.contains(Self.filesPlaceholder) else { return rest + paths }
        return rest.flatMap { $0 == Self.filesPlaceholder ? paths : [$0] }
    }

    public func fixCommand(path: String, root: String) -> FixCommand? { nil }

    /// Reads every matching line of `output`.
    public func parse(_ output: String, root: String) throws -> [Diagnostic] {
        let regex = try compiled()
        let base = PathNormalizer(root: root)
        var diagnostics: [Diagnostic] = []
        for line in output.split(separator: "\n", omittingEmptySubsequences: true) {
            let text = line.hasSuffix("\r") ? line.dropLast() : line
            guard let match = try? regex.firstMatch(in: text) else { continue }
            let output = match.output
            func group(_ name: String) -> String? {
                output[name]?.substring.map(String.init)
            }
            guard let file = group("file"), !file.isEmpty, let lineNumber = group("line").flatMap({ Int($0) }) else { continue }
            let column = group("col").flatMap { Int($0) }.map { $0 - columnBase + 1 } ?? 1
            let code = group("code").flatMap { $0.isEmpty ? nil : $0 } ?? name
            diagnostics.append(
                Diagnostic(
                    tool: name, path: base.relative(file), line: max(1, lineNumber), column: max(1, column), code: code,
                    message: group("message") ?? "", severity: Self.severity(group("severity")), fixable: false))
        }
        return diagnostics
    }

    static func severity(_ text: String?) -> Diagnostic.Severity {
        guard let text = text?.lowercased() else { return .error }
        switch text {
        case "error", "fatal", "e", "f": return .error
        case "warning", "warn", "w": return .warning
        default: return .info
        }
    }

    private func compiled() throws -> Regex<AnyRegexOutput> {
        do {
            return try Regex(pattern)
        } catch {
            throw QualityError(.badConfiguration, "\(name): the output pattern does not compile", tool: name, underlying: error)
        }
    }
}
