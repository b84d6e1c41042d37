public import Foundation
import StomperQuality

/// SARIF 2.1.0 of diagnostics left: one run per linter (`tool.driver.name` the linter, its version
/// from the plan, its rules by id), results with rule, level, message, location relative to
/// `%SRCROOT%` (the repository root) and a stable `partialFingerprints` entry (`Fingerprint`), and,
/// where stomper verified a fix it did not commit, the fix as `fixes` (`SarifFix`).
///
/// Columns are Unicode code points (`columnKind`), as ruff counts them. Levels: error → `error`,
/// warning → `warning`, info and note → `note`.
public struct SarifReport: Sendable {
    /// Linter name → version (`FixPlan.toolVersions`); every linter gets a run, with results or not,
    /// so a code-scanning upload closes what a linter no longer reports.
    public var toolVersions: [String: String]
    /// The repository root, absolute, for `originalUriBaseIds`; nil leaves it out.
    public var root: String?

    public init(toolVersions: [String: String], root: String? = nil) {
        self.toolVersions = toolVersions
        self.root = root
    }

    public static let schemaURI = "https://json.schemastore.org/sarif-2.1.0.json"
    public static let fingerprintKey = "stomper/v1"
    public static let rootID = "%SRCROOT%"

    public func log(_ left: [LeftDiagnostic]) -> SarifLog {
        let ordered = left.sorted { $0.diagnostic < $1.diagnostic }
        let fingerprints = Fingerprint.of(ordered.map(\.diagnostic))
        let byTool = Dictionary(grouping: zip(ordered, fingerprints).map { $0 }, by: \.0.diagnostic.tool)
        let tools = Set(toolVersions.keys).union(byTool.keys).sorted()
        let base = root.map {
            [
                Self.rootID: SarifLog.ArtifactLocation(
                    uri: URL(fileURLWithPath: $0, isDirectory: true).absoluteString,
                    uriBaseId: nil)
            ]
        }
        let runs = tools.map { tool -> SarifLog.Run in
            let items = byTool[tool] ?? []
            var rules: [SarifLog.Rule] = []
            var ruleIndex: [String: Int] = [:]
            for (item, _) in items where ruleIndex[item.diagnostic.code] == nil {
                ruleIndex[item.diagnostic.code] = -1
                rules.append(SarifLog.Rule(id: item.diagnostic.code, helpUri: item.diagnostic.url))
            }
            rules.sort { $0.id < $1.id }
            for (index, rule) in rules.enumerated() { ruleIndex[rule.id] = index }
            let results = items.map { item, fingerprint in
                result(item, fingerprint: fingerprint, ruleIndex: ruleIndex[item.diagnostic.code] ?? -1)
            }
            return SarifLog.Run(
                tool: .init(
                    driver: .init(
                        name: tool, version: toolVersions[tool], informationUri: Self.informationURI(tool),
                        rules: rules)),
                originalUriBaseIds: base, columnKind: "unicodeCodePoints", results: results)
        }
        return SarifLog(schema: Self.schemaURI, version: "2.1.0", runs: runs)
    }

    func result(_ item: LeftDiagnostic, fingerprint: String, ruleIndex: Int) -> SarifLog.Result {
        let diagnostic = item.diagnostic
        var region = SarifLog.Region(startLine: max(1, diagnostic.line), startColumn: max(1, diagnostic.column))
        if let endLine = diagnostic.endLine, endLine >= region.startLine! {
            region.endLine = endLine
            if let endColumn = diagnostic.endColumn, endColumn >= 1 { region.endColumn = endColumn }
        }
        let level: String
        switch diagnostic.severity {
        case .error: level = "error"
        case .warning: level = "warning"
        case .info, .note: level = "note"
        }
        var fixes: [SarifLog.Fix]?
        if let diff = item.fixDiff, let fix = SarifFix(diff: diff) {
            fixes = [
                SarifLog.Fix(
                    description: .init(text: "stomper's verified fix of \(diagnostic.path) (not committed)"),
                    artifactChanges: fix.changes.map { change in
                        SarifLog.ArtifactChange(
                            artifactLocation: Self.location(change.path),
                            replacements: change.replacements.map { replacement in
                                let region = replacement.deleted
                                return SarifLog.Replacement(
                                    deletedRegion: SarifLog.Region(
                                        startLine: region.startLine, startColumn: region.startColumn,
                                        endLine: region.endLine, endColumn: region.endColumn),
                                    insertedContent: .init(text: replacement.inserted))
                            })
                    })
            ]
        }
        return SarifLog.Result(
            ruleId: diagnostic.code, ruleIndex: ruleIndex, level: level, message: .init(text: diagnostic.message),
            locations: [.init(physicalLocation: .init(artifactLocation: Self.location(diagnostic.path), region: region))],
            partialFingerprints: [Self.fingerprintKey: fingerprint], fixes: fixes,
            properties: ["stomperReason": item.reason.rawValue])
    }

    static func location(_ path: String) -> SarifLog.ArtifactLocation {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: ":;")
        return SarifLog.ArtifactLocation(uri: path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path, uriBaseId: rootID)
    }

    static func informationURI(_ tool: String) -> String? {
        switch tool {
        case "ruff", "ruff-format": return "https://docs.astral.sh/ruff/"
        case "mypy": return "https://mypy-lang.org/"
        case "shellcheck": return "https://www.shellcheck.net/"
        default: return nil
        }
    }

    /// The log as pretty-printed JSON.
    public func json(_ left: [LeftDiagnostic]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(log(left)) + Data("\n".utf8)
    }
}

/// The parts of the SARIF 2.1.0 object model stomper writes (nil properties are left out).
public struct SarifLog: Sendable, Hashable, Codable {
    public var schema: String
    public var version: String
    public var runs: [Run]

    enum CodingKeys: String, CodingKey {
        case schema = "$schema", version, runs
    }

    public struct Run: Sendable, Hashable, Codable {
        public var tool: Tool
        public var originalUriBaseIds: [String: ArtifactLocation]?
        public var columnKind: String
        public var results: [Result]
    }

    public struct Tool: Sendable, Hashable, Codable {
        public var driver: Driver
    }

    public struct Driver: Sendable, Hashable, Codable {
        public var name: String
        public var version: String?
        public var informationUri: String?
        public var rules: [Rule]
    }

    public struct Rule: Sendable, Hashable, Codable {
        public var id: String
        public var helpUri: String?
    }

    public struct Message: Sendable, Hashable, Codable {
        public var text: String
    }

    public struct ArtifactLocation: Sendable, Hashable, Codable {
        public var uri: String
        public var uriBaseId: String?
    }

    public struct Region: Sendable, Hashable, Codable {
        public var startLine: Int?
        public var startColumn: Int?
        public var endLine: Int?
        public var endColumn: Int?
    }

    public struct PhysicalLocation: Sendable, Hashable, Codable {
        public var artifactLocation: ArtifactLocation
        public var region: Region
    }

    public struct Location: Sendable, Hashable, Codable {
        public var physicalLocation: PhysicalLocation
    }

    public struct Replacement: Sendable, Hashable, Codable {
        public var deletedRegion: Region
        public var insertedContent: Message
    }

    public struct ArtifactChange: Sendable, Hashable, Codable {
        public var artifactLocation: ArtifactLocation
        public var replacements: [Replacement]
    }

    public struct Fix: Sendable, Hashable, Codable {
        public var description: Message
        public var artifactChanges: [ArtifactChange]
    }

    public struct Result: Sendable, Hashable, Codable {
        public var ruleId: String
        public var ruleIndex: Int
        public var level: String
        public var message: Message
        public var locations: [Location]
        public var partialFingerprints: [String: String]
        public var fixes: [Fix]?
        public var properties: [String: String]?
    }
}
