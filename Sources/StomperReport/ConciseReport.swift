import StomperQuality

/// One `path:line:col: CODE message` line per diagnostic, in path and position order, like ruff's
/// `concise` format: what editors and `grep` read.
public enum ConciseReport {
    public static func lines(_ left: [LeftDiagnostic]) -> [String] {
        left.map(\.diagnostic).sorted().map(\.displayLine)
    }
}
