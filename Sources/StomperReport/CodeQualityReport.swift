public import Foundation
import StomperQuality

/// A GitLab Code Quality report (a subset of Code Climate's issue format GitLab reads): a JSON
/// array of `{description, check_name, fingerprint, severity, location: {path, lines: {begin}}}`.
///
/// Severity: a file that cannot be read or parsed is `critical`; otherwise the linter's severity
/// decides — error `major`, warning `minor`, info and note `info`. `blocker` is not used: no
/// linter finding stops a build by itself.
public enum CodeQualityReport {
    public struct Issue: Sendable, Hashable, Codable {
        public struct Location: Sendable, Hashable, Codable {
            public struct Lines: Sendable, Hashable, Codable {
                public var begin: Int
                public var end: Int?
            }

            public var path: String
            public var lines: Lines
        }

        public var description: String
        public var checkName: String
        public var fingerprint: String
        public var severity: String
        public var location: Location

        enum CodingKeys: String, CodingKey {
            case description, checkName = "check_name", fingerprint, severity, location
        }
    }

    public static func issues(_ left: [LeftDiagnostic]) -> [Issue] {
        let ordered = left.sorted { $0.diagnostic < $1.diagnostic }
        let fingerprints = Fingerprint.of(ordered.map(\.diagnostic))
        return zip(ordered, fingerprints).map { item, fingerprint in
            let diagnostic = item.diagnostic
            var description = "\(diagnostic.code): \(diagnostic.message)"
            if item.reason != .notAttempted { description += " (\(item.reasonText))" }
            return Issue(
                description: description, checkName: "\(diagnostic.tool)/\(diagnostic.code)", fingerprint: fingerprint,
                severity: severity(item),
                location: .init(
                    path: diagnostic.path,
                    lines: .init(begin: diagnostic.line, end: diagnostic.endLine)))
        }
    }

    public static func severity(_ item: LeftDiagnostic) -> String {
        if item.kind == .syntax { return "critical" }
        switch item.diagnostic.severity {
        case .error: return "major"
        case .warning: return "minor"
        case .info, .note: return "info"
        }
    }

    /// The report as pretty-printed JSON.
    public static func json(_ left: [LeftDiagnostic]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(issues(left)) + Data("\n".utf8)
    }
}
