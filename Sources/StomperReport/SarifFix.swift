import StomperQuality

/// A verified fix as SARIF `artifactChanges`: one replacement per run of removed and added lines
/// of each hunk of the unified diff (context lines are not replaced), with the deleted region in
/// the file as it is on the branch. The diff is the one stomper made of the patch (git's format:
/// `diff --git` and `index` lines before `---`/`+++`), or any plain unified diff.
public struct SarifFix: Sendable, Hashable {
    public struct Region: Sendable, Hashable {
        public var startLine: Int
        public var startColumn: Int
        public var endLine: Int
        public var endColumn: Int

        public init(startLine: Int, startColumn: Int, endLine: Int, endColumn: Int) {
            self.startLine = startLine
            self.startColumn = startColumn
            self.endLine = endLine
            self.endColumn = endColumn
        }
    }

    public struct Replacement: Sendable, Hashable {
        /// Whole lines, from column 1 of the first removed line to column 1 of the line after the
        /// last (the newline included); empty where lines are only inserted.
        public var deleted: Region
        public var inserted: String

        public init(deleted: Region, inserted: String) {
            self.deleted = deleted
            self.inserted = inserted
        }
    }

    public struct Change: Sendable, Hashable {
        /// Relative to the repository root.
        public var path: String
        public var replacements: [Replacement]
    }

    public var changes: [Change]

    /// The fix a diff describes; nil when the text is not a diff stomper can turn into
    /// replacements (a file created or deleted, a malformed diff).
    public init?(diff: String) {
        // Only git's extended header lines go; every line of a hunk starts with ' ', '-', '+' or '\'.
        let headers = [
            "diff --git ", "index ", "old mode ", "new mode ", "similarity index ", "rename from ", "rename to ",
            "new file mode ", "deleted file mode ", "Binary files ",
        ]
        var kept: [Substring] = []
        for line in diff.split(separator: "\n", omittingEmptySubsequences: false) {
            if headers.contains(where: { line.hasPrefix($0) }) { continue }
            kept.append(line)
        }
        var text = kept.joined(separator: "\n")
        if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
        guard let diffs = try? UnifiedDiff.parse(Array(text.utf8), tool: "stomper"), !diffs.isEmpty else { return nil }
        changes = diffs.map { Change(path: $0.path, replacements: $0.hunks.flatMap(Self.replacements)) }
        guard changes.allSatisfy({ !$0.replacements.isEmpty }) else { return nil }
    }

    static func replacements(_ hunk: UnifiedDiff.Hunk) -> [Replacement] {
        var result: [Replacement] = []
        // With no old lines the hunk inserts after line `oldStart`.
        var oldLine = hunk.oldCount == 0 ? hunk.oldStart + 1 : hunk.oldStart
        var removed: [UnifiedDiff.Line] = []
        var added: [UnifiedDiff.Line] = []
        func flush() {
            guard !removed.isEmpty || !added.isEmpty else { return }
            let region: Region
            if let last = removed.last, !last.endsWithNewline {
                // The file's last line, without a newline: end after its last character.
                let width = String(decoding: last.text, as: UTF8.self).unicodeScalars.count
                region = Region(startLine: oldLine, startColumn: 1, endLine: oldLine + removed.count - 1, endColumn: width + 1)
            } else {
                region = Region(startLine: oldLine, startColumn: 1, endLine: oldLine + removed.count, endColumn: 1)
            }
            let inserted = added.map { String(decoding: $0.text, as: UTF8.self) + ($0.endsWithNewline ? "\n" : "") }.joined()
            result.append(Replacement(deleted: region, inserted: inserted))
            oldLine += removed.count
            removed = []
            added = []
        }
        for line in hunk.lines {
            switch line.kind {
            case .context:
                flush()
                oldLine += 1
            case .removed:
                if !added.isEmpty { flush() }
                removed.append(line)
            case .added:
                added.append(line)
            }
        }
        flush()
        return result
    }
}
