import StomperCore
public import StomperQuality

/// Stable identities of diagnostics for SARIF `partialFingerprints` and GitLab Code Quality
/// `fingerprint`: SHA-256 of the tool, code, path, message and the occurrence — the n-th finding
/// with those four in the file, counting in line order.
///
/// The line is left out on purpose: an edit above a finding moves it without making it a new
/// issue, and GitLab and GitHub compare fingerprints between commits to tell new issues from
/// old ones. The occurrence keeps two identical findings in one file apart, so fingerprints
/// are unique within a report.
public enum Fingerprint {
    /// One fingerprint per diagnostic, in the order given.
    public static func of(_ diagnostics: [Diagnostic]) -> [String] {
        var result = [String](repeating: "", count: diagnostics.count)
        var seen: [String: Int] = [:]
        for index in diagnostics.indices.sorted(by: { (diagnostics[$0], $0) < (diagnostics[$1], $1) }) {
            let diagnostic = diagnostics[index]
            let identity = [diagnostic.tool, diagnostic.code, diagnostic.path, diagnostic.message].joined(separator: "\u{0}")
            let occurrence = seen[identity, default: 0]
            seen[identity] = occurrence + 1
            result[index] = sha256Hex(identity + "\u{0}\(occurrence)")
        }
        return result
    }
}
