/// Puts a doc together: the SHA header line, a blank line, then the generator's Markdown body.
public enum DocRenderer {
    /// The doc's bytes. `header` is the line `DocHeader.line(for:)` returns; the body's leading
    /// blank lines and trailing whitespace are dropped and the doc ends with exactly one newline,
    /// so the same body always gives the same bytes whatever the generator's line-ending habits.
    public static func document(header: String, body: String) -> [UInt8] {
        precondition(
            DocHeader.hash(inDoc: Array(header.utf8)) != nil && !header.contains("\n"),
            "DocRenderer.document(header:body:) needs a line from DocHeader.line(for:)")
        var lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        while let first = lines.first, first.allSatisfy(\.isWhitespace) { lines.removeFirst() }
        var trimmed = lines.joined(separator: "\n")
        while let last = trimmed.last, last.isWhitespace { trimmed.removeLast() }
        var text = header + "\n"
        if !trimmed.isEmpty { text += "\n" + trimmed + "\n" }
        return Array(text.utf8)
    }
}
