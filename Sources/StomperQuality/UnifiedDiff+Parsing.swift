extension UnifiedDiff {
    /// The diffs in a fixer's output, one per file, in order; none when the output is empty or
    /// blank, which is how a fixer says it has nothing to fix. Empty lines may separate files
    /// (shellcheck ends each with one). Anything else that is not a well-formed diff is refused
    /// with `.fixRejected`, naming the line of the output: hunks are read by the counts in their
    /// headers, so a removed line that reads `--- x` is still a removed line.
    public static func parse(_ output: [UInt8], tool: String) throws(QualityError) -> [UnifiedDiff] {
        var parser = Parser(output: output, tool: tool)
        return try parser.parse()
    }

    private struct Parser {
        /// The output's lines without their newlines.
        let lines: [ArraySlice<UInt8>]
        let endsMidLine: Bool
        let tool: String
        var index = 0

        init(output: [UInt8], tool: String) {
            lines = UnifiedDiff.lines(of: output).map { $0.last == UnifiedDiff.newline ? $0.dropLast() : $0 }
            endsMidLine = output.last.map { $0 != UnifiedDiff.newline } ?? false
            self.tool = tool
        }

        mutating func parse() throws(QualityError) -> [UnifiedDiff] {
            if endsMidLine && lines.contains(where: { !$0.isEmpty }) {
                throw rejected(at: lines.count, "the output ends in the middle of a line (was it cut short?)")
            }
            var diffs: [UnifiedDiff] = []
            while true {
                while index < lines.count && lines[index].isEmpty { index += 1 }
                guard index < lines.count else { return diffs }
                diffs.append(try file())
            }
        }

        mutating func file() throws(QualityError) -> UnifiedDiff {
            let oldName = try name(after: "--- ")
            let newName = try name(after: "+++ ")
            if oldName == "/dev/null" || newName == "/dev/null" {
                throw rejected(at: index, "it creates or deletes a file, which a fix of one file never does")
            }
            var hunks: [Hunk] = []
            while index < lines.count && lines[index].starts(with: "@@ ".utf8) {
                hunks.append(try hunk())
            }
            guard !hunks.isEmpty else { throw rejected(at: index + 1, "expected a hunk (`@@ -a,b +c,d @@`) after the file names") }
            return UnifiedDiff(oldName: oldName, newName: newName, hunks: hunks)
        }

        mutating func name(after prefix: String) throws(QualityError) -> String {
            guard index < lines.count, lines[index].starts(with: prefix.utf8), lines[index].count > prefix.utf8.count else {
                throw rejected(at: index + 1, "expected a `\(prefix)FILE` line")
            }
            defer { index += 1 }
            return String(decoding: lines[index].dropFirst(prefix.utf8.count), as: UTF8.self)
        }

        mutating func hunk() throws(QualityError) -> Hunk {
            let headerLine = index + 1
            guard let (oldStart, oldCount, newStart, newCount) = Self.ranges(String(decoding: lines[index], as: UTF8.self)) else {
                throw rejected(at: headerLine, "a malformed hunk header (expected `@@ -a,b +c,d @@`)")
            }
            index += 1
            var hunk = Hunk(oldStart: oldStart, oldCount: oldCount, newStart: newStart, newCount: newCount, lines: [])
            var old = 0
            var new = 0
            while old < oldCount || new < newCount || (index < lines.count && lines[index].first == UInt8(ascii: "\\")) {
                guard index < lines.count else {
                    throw rejected(at: headerLine, "the hunk ends after \(old) of its \(oldCount) old and \(new) of its \(newCount) new lines")
                }
                let line = lines[index]
                index += 1
                let kind: Line.Kind
                switch line.first {
                case UInt8(ascii: " "):
                    kind = .context
                    old += 1
                    new += 1
                case UInt8(ascii: "-"):
                    kind = .removed
                    old += 1
                case UInt8(ascii: "+"):
                    kind = .added
                    new += 1
                case UInt8(ascii: "\\"):
                    // `\ No newline at end of file`: the line before it has no newline.
                    guard let last = hunk.lines.indices.last, hunk.lines[last].endsWithNewline else {
                        throw rejected(at: index, "a `\\ No newline at end of file` that follows no line, or a second one")
                    }
                    hunk.lines[last].endsWithNewline = false
                    continue
                case nil:
                    throw rejected(at: index, "an empty line inside a hunk (an empty context line is a single space)")
                default:
                    throw rejected(at: index, "a hunk line must start with ` `, `-`, `+` or `\\`")
                }
                guard old <= oldCount && new <= newCount else {
                    throw rejected(at: index, "the hunk at line \(headerLine) has more lines than its header says")
                }
                hunk.lines.append(Line(kind: kind, text: Array(line.dropFirst()), endsWithNewline: true))
            }
            // A line without a newline must be the last of its side.
            for (position, line) in hunk.lines.enumerated() where !line.endsWithNewline {
                let later = hunk.lines[(position + 1)...]
                if (line.kind != .added && later.contains { $0.kind != .added })
                    || (line.kind != .removed && later.contains { $0.kind != .removed })
                {
                    throw rejected(at: headerLine, "the hunk has a line without a newline before other lines of the same file")
                }
            }
            return hunk
        }

        /// `@@ -1,7 +1,8 @@ optional section` → (1, 7, 1, 8); a missing count is 1.
        static func ranges(_ header: String) -> (Int, Int, Int, Int)? {
            let words = header.split(separator: " ", omittingEmptySubsequences: false)
            guard words.count >= 4, words[0] == "@@", words[3] == "@@", words[1].first == "-", words[2].first == "+",
                let old = range(words[1].dropFirst()), let new = range(words[2].dropFirst())
            else { return nil }
            guard (old.start > 0 || old.count == 0) && (new.start > 0 || new.count == 0) else { return nil }
            return (old.start, old.count, new.start, new.count)
        }

        static func range(_ text: Substring) -> (start: Int, count: Int)? {
            let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count),
                parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { ("0"..."9").contains($0) } }),
                let start = Int(parts[0]), let count = parts.count == 2 ? Int(parts[1]) : 1
            else { return nil }
            return (start, count)
        }

        func rejected(at line: Int, _ detail: String, file: String = #fileID, thrownAt: UInt = #line) -> QualityError {
            let text = line >= 1 && line <= lines.count ? " " + UnifiedDiff.shown(Array(lines[line - 1]) + [UnifiedDiff.newline]) : ""
            return QualityError(
                .fixRejected,
                "\(tool) printed something that is not a diff stomper can apply, nothing was written: "
                    + "line \(line) of its output\(text): \(detail)", tool: tool, file: file, line: thrownAt)
        }
    }
}
