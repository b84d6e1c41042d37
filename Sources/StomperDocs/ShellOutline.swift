/// The functions (`name() {`, `function name {`, `function name() {`) and `readonly`/`export`
/// upper-case variables of a shell script, outside any `{ … }` group.
///
/// Quotes, `$( … )`, `${ … }`, backticks, comments and here-documents are classified first, so a
/// function-looking line inside them is never reported.
enum ShellOutline {
    static func outline(of text: SourceText) -> Outline {
        let (kinds, braces) = scan(text)
        let s = text.scalars
        var entries: [OutlineEntry] = []
        for lineStart in text.lineStarts {
            var i = lineStart
            while i < s.count, s[i] == " " || s[i] == "\t" { i += 1 }
            guard i < s.count, s[i] != "\n", kinds[i] == .code, braces[i] == 0 else { continue }
            var end = i
            while end < s.count, s[end] != "\n", kinds[end] != .comment { end += 1 }
            let line = text.signature(i..<end, kinds: kinds, limit: 400)
            if let function = functionSignature(line) {
                entries.append(OutlineEntry(line: text.line(of: i), signature: function))
            } else if isExportedConstant(line) {
                entries.append(OutlineEntry(line: text.line(of: i), signature: text.signature(i..<end, kinds: kinds, limit: 80)))
            }
        }
        return Outline(summary: nil, entries: entries)
    }

    /// `name()` or `function name[()]` when `line` defines a function, else nil.
    static func functionSignature(_ line: String) -> String? {
        var rest = Substring(line)
        let usesKeyword = rest.hasPrefix("function ") || rest.hasPrefix("function\t")
        if usesKeyword { rest = rest.dropFirst("function".count).drop { $0 == " " || $0 == "\t" } }
        guard let first = rest.first, !first.isNumber, isNameCharacter(first) else { return nil }
        let name = rest.prefix(while: isNameCharacter)
        rest = rest.dropFirst(name.count).drop { $0 == " " || $0 == "\t" }
        var parentheses = false
        if rest.hasPrefix("()") || rest.hasPrefix("( )") {
            parentheses = true
            rest = rest.drop { $0 == "(" || $0 == " " }.dropFirst().drop { $0 == " " || $0 == "\t" }
        }
        guard usesKeyword || parentheses else { return nil }
        guard rest.isEmpty || rest.first == "{" || rest.first == "(" else { return nil }
        return (usesKeyword ? "function " : "") + name + (parentheses ? "()" : "")
    }

    private static func isNameCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || "_-.:".contains(character))
    }

    /// `readonly NAME=…` or `export NAME=…` with an upper-case NAME.
    private static func isExportedConstant(_ line: String) -> Bool {
        guard PythonOutline.startsWithKeyword(line, ["readonly", "export"]) else { return false }
        var words = line.split(separator: " ").dropFirst().drop { $0.hasPrefix("-") }
        guard let assignment = words.popFirst(), let equals = assignment.firstIndex(of: "=") else { return false }
        let name = assignment[..<equals]
        return name.first.map { $0.isUppercase || $0 == "_" } == true
            && name.allSatisfy { $0.isASCII && ($0.isUppercase || $0.isNumber || $0 == "_") }
    }

    /// Classifies every scalar and records the depth of `{ … }` groups before it (braces in code only).
    static func scan(_ text: SourceText) -> ([SourceText.Kind], [Int]) {
        enum Frame {
            case single, ansi, double, backtick
            case command(parens: Int)
            case parameter(braces: Int)

            var opener: Unicode.Scalar? {
                switch self {
                case .command: return "("
                case .parameter: return "{"
                default: return nil
                }
            }

            var closer: Unicode.Scalar {
                switch self {
                case .single, .ansi: return "'"
                case .double: return "\""
                case .backtick: return "`"
                case .command: return ")"
                case .parameter: return "}"
                }
            }

            func withDepth(_ depth: Int) -> Frame {
                if case .command = self { return .command(parens: depth) }
                return .parameter(braces: depth)
            }
        }
        let s = text.scalars
        let n = s.count
        var kinds = [SourceText.Kind](repeating: .code, count: n)
        var braces = [Int](repeating: 0, count: n)
        var brace = 0
        var stack: [Frame] = []
        var heredocs: [(delimiter: String, stripsTabs: Bool)] = []
        func mark(_ range: Range<Int>, _ kind: SourceText.Kind) {
            for k in range.clamped(to: 0..<n) {
                kinds[k] = kind
                braces[k] = brace
            }
        }
        func next(_ index: Int) -> Unicode.Scalar? { index + 1 < n ? s[index + 1] : nil }
        func isWordStart(_ index: Int) -> Bool {
            index == 0 || " \t\n;&|()".unicodeScalars.contains(s[index - 1])
        }
        /// Opens a quote or substitution at `index`, if one starts there; returns its opener's length.
        func opening(at index: Int) -> (Frame, Int)? {
            switch (s[index], next(index)) {
            case ("'", _): return (.single, 1)
            case ("\"", _): return (.double, 1)
            case ("`", _): return (.backtick, 1)
            case ("$", "'"?): return (.ansi, 2)
            case ("$", "("?): return (.command(parens: 0), 2)
            case ("$", "{"?): return (.parameter(braces: 0), 2)
            default: return nil
            }
        }

        var i = 0
        while i < n {
            let c = s[i]
            braces[i] = brace
            if let frame = stack.last {
                kinds[i] = .string
                switch frame {
                case .single:
                    if c == "'" { stack.removeLast() }
                case .ansi, .backtick:
                    if c == "\\" {
                        mark(i..<(i + 2), .string)
                        i += 2
                        continue
                    }
                    if c == frame.closer { stack.removeLast() }
                case .double:
                    if c == "\\" {
                        mark(i..<(i + 2), .string)
                        i += 2
                        continue
                    }
                    if c == "\"" {
                        stack.removeLast()
                    } else if c == "$" && next(i) != "'" || c == "`", let (opened, length) = opening(at: i) {
                        mark(i..<(i + length), .string)
                        stack.append(opened)
                        i += length
                        continue
                    }
                case .command(let depth), .parameter(let depth):
                    if c == "\\" {
                        mark(i..<(i + 2), .string)
                        i += 2
                        continue
                    }
                    if let (opened, length) = opening(at: i) {
                        mark(i..<(i + length), .string)
                        stack.append(opened)
                        i += length
                        continue
                    }
                    if c == frame.opener {
                        stack[stack.count - 1] = frame.withDepth(depth + 1)
                    } else if c == frame.closer {
                        if depth == 0 { stack.removeLast() } else { stack[stack.count - 1] = frame.withDepth(depth - 1) }
                    }
                }
                i += 1
                continue
            }

            if c == "#", isWordStart(i) {
                var end = i
                while end < n, s[end] != "\n" { end += 1 }
                mark(i..<end, .comment)
                i = end
                continue
            }
            if c == "\\" {
                mark(i..<(i + 2), .code)  // an escaped brace, quote or `#` is a plain character
                i += 2
                continue
            }
            if let (opened, length) = opening(at: i) {
                mark(i..<(i + length), .string)
                stack.append(opened)
                i += length
                continue
            }
            if c == "<", next(i) == "<", i + 2 < n, s[i + 2] == "<" {
                mark(i..<(i + 3), .code)  // a here-string (`<<<`), not a here-document
                i += 3
                continue
            }
            if c == "<", next(i) == "<", i + 2 < n {
                var j = i + 2
                let stripsTabs = s[j] == "-"
                if stripsTabs { j += 1 }
                while j < n, s[j] == " " || s[j] == "\t" { j += 1 }
                var delimiter = String.UnicodeScalarView()
                while j < n, !" \t\n;&|<>()".unicodeScalars.contains(s[j]) {
                    if !"'\"\\".unicodeScalars.contains(s[j]) { delimiter.append(s[j]) }
                    j += 1
                }
                if !delimiter.isEmpty { heredocs.append((String(delimiter), stripsTabs)) }
                mark(i..<j, .code)
                i = j
                continue
            }
            if c == "\n", !heredocs.isEmpty {
                i += 1
                for heredoc in heredocs {
                    while i < n {
                        var end = i
                        while end < n, s[end] != "\n" { end += 1 }
                        var line = text.string(i..<end)
                        if line.hasSuffix("\r") { line.removeLast() }
                        if heredoc.stripsTabs { line = String(line.drop { $0 == "\t" }) }
                        mark(i..<min(end + 1, n), .string)
                        i = end + 1
                        if line == heredoc.delimiter { break }
                    }
                }
                heredocs = []
                continue
            }
            if c == "{" {
                brace += 1
            } else if c == "}" {
                brace = max(0, brace - 1)
            }
            i += 1
        }
        return (kinds, braces)
    }
}
