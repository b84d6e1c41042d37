public import StomperCore
import StomperQuality

/// One workflow-command annotation per diagnostic left, most important first
/// (`LeftDiagnostic.byImportance`), at most `limit`, then one note saying how many were left out.
///
/// GitHub keeps 10 error and 10 warning annotations per step and drops the rest silently, so the
/// cap (`ci.annotation_limit`, default 10) decides which ones are seen; the job summary lists all.
/// The note uses another level than the annotations (notice, or warning when they are notices),
/// so the cap of their level does not swallow it.
public struct GitHubAnnotations: Sendable {
    public var level: CISettings.AnnotationLevel
    /// Nil: no cap (`stomper check --output-format github`).
    public var limit: Int?

    public init(level: CISettings.AnnotationLevel = .error, limit: Int? = 10) {
        self.level = level
        self.limit = limit
    }

    /// The lines to print, in order.
    public func lines(_ left: [LeftDiagnostic]) -> [String] {
        let ordered = left.sorted(by: LeftDiagnostic.byImportance)
        let shown = limit.map { Array(ordered.prefix(max(0, $0))) } ?? ordered
        var lines = shown.map(annotation)
        let omitted = ordered.count - shown.count
        if omitted > 0 {
            let noteLevel: CISettings.AnnotationLevel = level == .notice ? .warning : .notice
            lines.append(
                WorkflowCommand.make(
                    noteLevel.rawValue, [("title", "stomper")],
                    "\(omitted) more diagnostic\(omitted == 1 ? "" : "s") left without an annotation "
                        + "(ci.annotation_limit = \(limit ?? 0)): the job summary lists them all"))
        }
        return lines
    }

    /// `::error file=src/a.py,line=3,col=5,endLine=3,endColumn=9,title=ruff F401::message`.
    public func annotation(_ item: LeftDiagnostic) -> String {
        let diagnostic = item.diagnostic
        var properties: [(String, String)] = [
            ("file", diagnostic.path), ("line", String(diagnostic.line)),
            ("col", String(diagnostic.column)),
        ]
        if let endLine = diagnostic.endLine {
            properties.append(("endLine", String(endLine)))
            // GitHub uses endColumn only on a single line.
            if let endColumn = diagnostic.endColumn, endLine == diagnostic.line { properties.append(("endColumn", String(endColumn))) }
        }
        // The file's real name (GitHub matches it to the diff); the rest shown with escapes.
        properties.append(("title", "\(diagnostic.tool) \(diagnostic.code)".displaySafe))
        var message = "\(diagnostic.code) \(diagnostic.message)".displaySafe(keepingLineBreaks: true)
        if item.reason != .notAttempted { message += " (\(item.reasonText))" }
        if let url = diagnostic.url { message += "\n\(url)" }
        return WorkflowCommand.make(level.rawValue, properties, message)
    }
}
