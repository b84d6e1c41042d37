import Foundation
import StomperProcess

/// Any tool that writes SARIF 2.1.0, read from a command's stdout or from a report file.
///
/// The paths to lint are not passed to the command (SARIF producers take them in different
/// ways); instead the diagnostics are filtered afterwards to those under the given paths.
///
/// What is read (reference §1.6): `runs[].results[]` with `ruleId` (else `rule.id`, else the
/// driver's name), `level` (error, warning — the default —, note → info, none → note),
/// `message.text` and the first location's `artifactLocation.uri` and `region`. A URI is
/// percent-decoded, loses its `file://` scheme and is made relative to the root; `uriBaseId` is
/// ignored (relative URIs are taken as relative to the root). Results without a location, or
/// whose `kind` says they are not a problem (`pass`, `notApplicable`), are dropped. The rule's
/// `helpUri` becomes the diagnostic's `url`. SARIF fixes are ignored: producers (ruff) mix safe and
/// unsafe ones without saying which, so nothing is `fixable`.
public struct SarifLinter: Linter {
    /// Where the SARIF log comes from.
    public enum Source: Sendable, Hashable {
        /// A command (program and arguments) run in the root that prints SARIF on stdout.
        case command([String])
        /// A report file, relative to the root or absolute, read at lint time.
        case file(String)
    }

    public let name: String
    public var source: Source
    /// Exit statuses of a command source that mean "ran" (most tools exit 1 when they found something).
    public var successExitCodes: Set<Int32>
    /// A command whose output is the tool's version.
    public var versionCommand: [String]?
    public var timeout: Duration

    public init(
        name: String, source: Source, successExitCodes: Set<Int32> = [0, 1], versionCommand: [String]? = nil,
        timeout: Duration = .seconds(600)
    ) {
        self.name = name
        self.source = source
        self.successExitCodes = successExitCodes
        self.versionCommand = versionCommand
        self.timeout = timeout
    }

    /// The output of `versionCommand` when there is one. Otherwise, for a file source, the
    /// driver's `name version` read from the file (which must exist; a relative path is read
    /// from the current directory, as `version()` has no root); for a command source, the
    /// command line itself: running the whole analysis just to learn a version would be slow,
    /// so set `versionCommand` if upgrades of the tool must change idempotency keys.
    public func version() async throws -> String {
        if let versionCommand {
            return try await ToolProcess.versionText(versionCommand, root: nil, tool: name, timeout: timeout)
        }
        switch source {
        case .command(let command):
            return "\(name) (command: \(command.joined(separator: " ")))"
        case .file(let path):
            let log = try decode(try read(path, root: FileManager.default.currentDirectoryPath))
            let driver = log.runs?.first?.tool?.driver
            let words = [driver?.name ?? name, driver?.version ?? driver?.semanticVersion ?? "(version unknown)"]
            return words.joined(separator: " ")
        }
    }

    public func lint(paths: [String], root: String) async throws -> [Diagnostic] {
        let bytes: [UInt8]
        switch source {
        case .file(let path):
            bytes = try read(path, root: root)
        case .command(let command):
            guard let executable = command.first else {
                throw QualityError(.badConfiguration, "\(name): the SARIF command is empty", tool: name)
            }
            let spec = ProcessSpec(
                executable: executable, arguments: Array(command.dropFirst()), workingDirectory: root,
                timeout: timeout)
            let result = try await ToolProcess.run(
                spec, tool: name, missing: "\(name): `\(executable)` not found; install it or fix the command in stomper.toml")
            guard let status = result.exitCode, successExitCodes.contains(status), !result.timedOut else {
                throw ToolProcess.failure("\(name) failed", tool: name, spec: spec, result: result)
            }
            bytes = result.standardOutput
        }
        let diagnostics = try parse(bytes, root: root)
        let scopes = paths.map(Self.normalised)
        guard !scopes.isEmpty, !scopes.contains("") else { return diagnostics }
        return diagnostics.filter { diagnostic in
            scopes.contains { diagnostic.path == $0 || diagnostic.path.hasPrefix($0 + "/") }
        }
    }

    /// SARIF producers' fixes are not applied by stomper.
    public func fixCommand(path: String, root: String) -> FixCommand? { nil }

    /// Parses a SARIF 2.1.0 log into diagnostics with paths relative to `root`.
    public func parse(_ bytes: [UInt8], root: String) throws -> [Diagnostic] {
        let log = try decode(bytes)
        let base = PathNormalizer(root: root)
        var diagnostics: [Diagnostic] = []
        for run in log.runs ?? [] {
            let driver = run.tool?.driver
            let rules = driver?.rules ?? []
            var helpByID: [String: String] = [:]
            for rule in rules {
                if let id = rule.id, let help = rule.helpUri { helpByID[id] = helpByID[id] ?? help }
            }
            for result in run.results ?? [] {
                if let kind = result.kind, kind == "pass" || kind == "notApplicable" { continue }
                guard let physical = result.locations?.first?.physicalLocation,
                    let uri = physical.artifactLocation?.uri, !uri.isEmpty
                else { continue }
                let ruleIndex = result.ruleIndex ?? result.rule?.index
                let indexedRule = ruleIndex.flatMap { rules.indices.contains($0) ? rules[$0] : nil }
                let code = result.ruleId ?? result.rule?.id ?? indexedRule?.id ?? driver?.name ?? name
                let region = physical.region
                let line = max(1, region?.startLine ?? 1)
                let endColumn = region?.endColumn
                diagnostics.append(
                    Diagnostic(
                        tool: name,
                        path: base.relative(Self.path(fromURI: uri)),
                        line: line,
                        column: max(1, region?.startColumn ?? 1),
                        endLine: region?.endLine ?? (endColumn == nil ? nil : line),
                        endColumn: endColumn,
                        code: code,
                        message: result.message?.text ?? result.message?.markdown ?? code,
                        severity: Self.severity(result.level),
                        fixable: false,
                        url: helpByID[code] ?? indexedRule?.helpUri))
            }
        }
        return diagnostics
    }

    static func severity(_ level: String?) -> Diagnostic.Severity {
        switch level {
        case "error": return .error
        case "note": return .info
        case "none": return .note
        default: return .warning
        }
    }

    /// `file:///repo/a%20b.py` → `/repo/a b.py`; `src/x.py` stays as it is.
    static func path(fromURI uri: String) -> String {
        var text = uri
        if text.hasPrefix("file://") {
            text.removeFirst("file://".count)
            if text.hasPrefix("localhost/") { text.removeFirst("localhost".count) }
        } else if text.hasPrefix("file:") {
            text.removeFirst("file:".count)
        }
        return text.removingPercentEncoding ?? text
    }

    private static func normalised(_ path: String) -> String {
        var path = path
        while path.hasPrefix("./") { path.removeFirst(2) }
        while path.hasSuffix("/") { path.removeLast() }
        return path == "." ? "" : path
    }

    private func read(_ path: String, root: String) throws -> [UInt8] {
        let full = path.hasPrefix("/") ? path : root + "/" + path
        guard FileManager.default.fileExists(atPath: full) else {
            throw QualityError(
                .inputMissing,
                "\(name): the SARIF report \(full) does not exist; produce it before running stomper, or fix the path in the `quality.sarif` setting",
                tool: name)
        }
        do {
            return Array(try Data(contentsOf: URL(fileURLWithPath: full)))
        } catch {
            throw QualityError(.inputMissing, "\(name): cannot read the SARIF report \(full)", tool: name, underlying: error)
        }
    }

    private func decode(_ bytes: [UInt8]) throws -> Log {
        let log: Log
        do {
            log = try JSONDecoder().decode(Log.self, from: Data(bytes))
        } catch {
            throw QualityError(
                .unreadableOutput, "\(name): the report is not a SARIF log (not a JSON object)", tool: name,
                standardError: trimmed(String(decoding: bytes.prefix(400), as: UTF8.self)),
                underlying: error)
        }
        guard log.version == "2.1.0" else {
            throw QualityError(
                .unsupportedVersion,
                "\(name): SARIF version \(log.version.map { "\"\($0)\"" } ?? "(missing)") is not supported; stomper reads SARIF 2.1.0",
                tool: name)
        }
        return log
    }

    private struct Log: Decodable {
        var version: String?
        var runs: [Run]?
    }

    private struct Run: Decodable {
        var tool: Tool?
        var results: [Result]?
    }

    private struct Tool: Decodable {
        var driver: Driver?
    }

    private struct Driver: Decodable {
        var name: String?
        var version: String?
        var semanticVersion: String?
        var rules: [Rule]?
    }

    private struct Rule: Decodable {
        var id: String?
        var helpUri: String?
    }

    private struct Result: Decodable {
        struct RuleReference: Decodable {
            var id: String?
            var index: Int?
        }
        struct Message: Decodable {
            var text: String?
            var markdown: String?
        }
        var ruleId: String?
        var ruleIndex: Int?
        var rule: RuleReference?
        var kind: String?
        var level: String?
        var message: Message?
        var locations: [Location]?
    }

    private struct Location: Decodable {
        var physicalLocation: PhysicalLocation?
    }

    private struct PhysicalLocation: Decodable {
        struct ArtifactLocation: Decodable {
            var uri: String?
        }
        struct Region: Decodable {
            var startLine: Int?
            var startColumn: Int?
            var endLine: Int?
            var endColumn: Int?
        }
        var artifactLocation: ArtifactLocation?
        var region: Region?
    }
}
