/// The top-level declarations of a Python module: `def`, `async def`, `class` (with their
/// decorators), ALL_CAPS constants, and the first line of the module docstring.
///
/// Only logical lines starting in column 0 count, so methods and nested functions are skipped;
/// strings (triple-quoted ones included) and comments are classified first, so a `def` inside a
/// docstring never looks like a declaration.
enum PythonOutline {
    static func outline(of text: SourceText) -> Outline {
        let (kinds, depths) = scan(text)
        var entries: [OutlineEntry] = []
        var decorators: [String] = []
        var summary: String?
        var isFirstStatement = true
        for range in logicalLines(text, kinds: kinds, depths: depths) {
            defer { isFirstStatement = false }
            if isFirstStatement, let docstring = docstringSummary(text, range: range, kinds: kinds) {
                summary = docstring
                continue
            }
            guard text.isAtColumnZero(range.lowerBound) else { continue }
            let head = text.string(range.lowerBound..<min(range.upperBound, range.lowerBound + 64))
            if head.hasPrefix("@") {
                decorators.append(text.signature(range, kinds: kinds, limit: 120))
                continue
            }
            if isDefinition(head) {
                let end = headerEnd(range, text: text, kinds: kinds, depths: depths)
                entries.append(
                    OutlineEntry(
                        line: text.line(of: range.lowerBound),
                        signature: text.signature(range.lowerBound..<end, kinds: kinds, limit: 200),
                        decorators: decorators))
            } else if isConstantAssignment(head) {
                entries.append(
                    OutlineEntry(
                        line: text.line(of: range.lowerBound),
                        signature: text.signature(range, kinds: kinds, limit: 80)))
            }
            decorators = []
        }
        return Outline(summary: summary, entries: entries)
    }

    /// Classifies every scalar and records the bracket depth before it.
    static func scan(_ text: SourceText) -> ([SourceText.Kind], [Int]) {
        let s = text.scalars
        let n = s.count
        var kinds = [SourceText.Kind](repeating: .code, count: n)
        var depths = [Int](repeating: 0, count: n)
        var depth = 0
        var i = 0
        while i < n {
            let c = s[i]
            depths[i] = depth
            if c == "#" {
                while i < n, s[i] != "\n" {
                    kinds[i] = .comment
                    depths[i] = depth
                    i += 1
                }
                continue
            }
            if c == "\"" || c == "'" {
                let triple = i + 2 < n && s[i + 1] == c && s[i + 2] == c
                var j = i + (triple ? 3 : 1)
                while j < n {
                    if s[j] == "\\" {
                        j += 2
                        continue
                    }
                    if triple {
                        if s[j] == c, j + 2 < n, s[j + 1] == c, s[j + 2] == c {
                            j += 3
                            break
                        }
                    } else if s[j] == c {
                        j += 1
                        break
                    } else if s[j] == "\n" {
                        break  // unterminated: stop at the end of the line, as Python's tokenizer does
                    }
                    j += 1
                }
                j = min(j, n)
                for k in i..<j {
                    kinds[k] = .string
                    depths[k] = depth
                }
                i = j
                continue
            }
            if c == "(" || c == "[" || c == "{" {
                depth += 1
            } else if c == ")" || c == "]" || c == "}" {
                depth = max(0, depth - 1)
            }
            i += 1
        }
        return (kinds, depths)
    }

    /// Ranges of the logical lines, from their first code scalar to their ending newline.
    /// A newline continues the logical line inside brackets, strings, or after a backslash.
    static func logicalLines(_ text: SourceText, kinds: [SourceText.Kind], depths: [Int]) -> [Range<Int>] {
        let s = text.scalars
        var lines: [Range<Int>] = []
        var start: Int?
        for i in 0..<s.count {
            let c = s[i]
            if c == "\n", kinds[i] == .code, depths[i] == 0, !isContinued(before: i, in: s, kinds: kinds) {
                if let begin = start { lines.append(begin..<i) }
                start = nil
            } else if start == nil, kinds[i] != .comment, !(kinds[i] == .code && c.properties.isWhitespace) {
                start = i
            }
        }
        if let begin = start { lines.append(begin..<s.count) }
        return lines
    }

    private static func isContinued(before newline: Int, in s: [Unicode.Scalar], kinds: [SourceText.Kind]) -> Bool {
        var k = newline - 1
        if k >= 0, s[k] == "\r" { k -= 1 }
        return k >= 0 && s[k] == "\\" && kinds[k] == .code
    }

    /// The end of a `def`/`class` header: the first `:` outside brackets and strings.
    private static func headerEnd(_ range: Range<Int>, text: SourceText, kinds: [SourceText.Kind], depths: [Int]) -> Int {
        for i in range where text.scalars[i] == ":" && kinds[i] == .code && depths[i] == 0 {
            return i
        }
        return range.upperBound
    }

    /// The first non-empty line of the docstring if the logical line is just a string literal
    /// (with an optional `r`/`u` prefix).
    private static func docstringSummary(_ text: SourceText, range: Range<Int>, kinds: [SourceText.Kind]) -> String? {
        let s = text.scalars
        var q = range.lowerBound
        while q < range.upperBound, kinds[q] == .code, "rRuU".unicodeScalars.contains(s[q]), q - range.lowerBound < 2 { q += 1 }
        guard q < range.upperBound, kinds[q] == .string else { return nil }
        var end = q
        while end < range.upperBound, kinds[end] == .string { end += 1 }
        // Anything but trailing whitespace after the literal makes it an expression, not a docstring.
        guard (end..<range.upperBound).allSatisfy({ kinds[$0] == .comment || s[$0].properties.isWhitespace }) else { return nil }
        let quote = s[q]
        let width = q + 2 < end && s[q + 1] == quote && s[q + 2] == quote ? 3 : 1
        guard end - q >= 2 * width else { return nil }
        let body = text.string((q + width)..<(end - width))
        return body.split(whereSeparator: \.isNewline)
            .map { $0.trimmingWhitespace() }
            .first { !$0.isEmpty }
    }

    /// `def …`, `async def …` or `class …`.
    private static func isDefinition(_ head: String) -> Bool {
        if startsWithKeyword(head, ["def", "class"]) { return true }
        guard startsWithKeyword(head, ["async"]) else { return false }
        return startsWithKeyword(String(head.dropFirst(5).drop { $0 == " " || $0 == "\t" }), ["def"])
    }

    /// `NAME = …` or `NAME: Type = …` where NAME is upper case (an optional leading `_` allowed).
    private static func isConstantAssignment(_ head: String) -> Bool {
        var rest = Substring(head)
        if rest.first == "_" { rest = rest.dropFirst() }
        guard let first = rest.first, first.isASCII, first.isUppercase else { return false }
        let name = rest.prefix { $0.isASCII && ($0.isUppercase || $0.isNumber || $0 == "_") }
        rest = rest.dropFirst(name.count).drop { $0 == " " || $0 == "\t" }
        if rest.first == ":" { return rest.dropFirst().contains("=") }
        return rest.first == "=" && rest.dropFirst().first != "="
    }

    /// True if `text` starts with one of `keywords` followed by whitespace.
    static func startsWithKeyword(_ text: String, _ keywords: [String]) -> Bool {
        keywords.contains { keyword in
            text.hasPrefix(keyword) && text.dropFirst(keyword.count).first.map { $0 == " " || $0 == "\t" } == true
        }
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
