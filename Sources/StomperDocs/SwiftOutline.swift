/// The top-level declarations of a Swift file: those that start a line at brace depth 0 and
/// outside brackets, with their attributes and modifiers kept in the signature.
///
/// Comments (nested `/* */` included) and string literals (multi-line, raw and interpolated ones
/// included) are classified first, so a `func` inside them is never reported.
enum SwiftOutline {
    static let keywords: Set<String> = [
        "func", "class", "struct", "enum", "protocol", "extension", "actor", "typealias", "let", "var", "macro",
    ]
    static let modifiers: Set<String> = [
        "public", "private", "fileprivate", "internal", "package", "open", "final", "nonisolated", "indirect",
        "distributed", "dynamic", "prefix", "postfix", "infix", "static", "convenience", "override", "required",
        "lazy", "weak", "unowned", "isolated", "consuming", "borrowing",
    ]
    /// Words that, first on the next line, continue a declaration's header.
    static let continuations = ["->", "where", "throws", "rethrows", "async", ":", ",", "&"]

    static func outline(of text: SourceText) -> Outline {
        let (kinds, braces, parens) = scan(text)
        let s = text.scalars
        var entries: [OutlineEntry] = []
        var attributes: [String] = []
        var consumedUntil = 0
        for lineStart in text.lineStarts {
            var i = lineStart
            while i < s.count, s[i] != "\n", kinds[i] == .comment || (kinds[i] == .code && s[i].properties.isWhitespace) {
                i += 1
            }
            guard i < s.count, i >= consumedUntil, s[i] != "\n", kinds[i] == .code, braces[i] == 0, parens[i] == 0 else {
                continue
            }
            let end = headerEnd(from: i, text: text, kinds: kinds, parens: parens)
            consumedUntil = end
            let header = text.signature(i..<end, kinds: kinds, limit: 400)
            let afterAttributes = skippingAttributes(Substring(header))
            if afterAttributes.isEmpty, !header.isEmpty {
                attributes.append(header)
                continue
            }
            if let keyword = declarationKeyword(afterAttributes) {
                var signature = header
                if keyword == "let" || keyword == "var", signature.hasSuffix(" =") { signature.removeLast(2) }
                signature = (attributes + [signature]).joined(separator: " ")
                if signature.count > 200 { signature = String(signature.prefix(199)) + "…" }
                entries.append(OutlineEntry(line: text.line(of: i), signature: signature))
            }
            attributes = []
        }
        return Outline(summary: nil, entries: entries)
    }

    /// The header runs to the body's `{`, a `;`, or the end of a line outside brackets that
    /// neither ends in `,` nor is continued by the next line (`-> T`, `where …`, `throws`).
    private static func headerEnd(from start: Int, text: SourceText, kinds: [SourceText.Kind], parens: [Int]) -> Int {
        let s = text.scalars
        var j = start
        while j < s.count {
            if kinds[j] == .code, parens[j] == 0 {
                if s[j] == "{" || s[j] == ";" { return j }
                if s[j] == "\n", !endsWithComma(before: j, text: text, kinds: kinds),
                    !nextLineContinues(after: j, text: text, kinds: kinds)
                {
                    return j
                }
            }
            j += 1
        }
        return s.count
    }

    /// A line ending in `,` (a `guard`/`if` condition list, a multi-line `let a = 1,`) goes on.
    private static func endsWithComma(before newline: Int, text: SourceText, kinds: [SourceText.Kind]) -> Bool {
        var k = newline - 1
        while k >= 0, kinds[k] == .comment || (kinds[k] == .code && text.scalars[k].properties.isWhitespace && text.scalars[k] != "\n") {
            k -= 1
        }
        return k >= 0 && kinds[k] == .code && text.scalars[k] == ","
    }

    private static func nextLineContinues(after newline: Int, text: SourceText, kinds: [SourceText.Kind]) -> Bool {
        let s = text.scalars
        var k = newline + 1
        while k < s.count, s[k] != "\n", kinds[k] == .comment || (kinds[k] == .code && s[k].properties.isWhitespace) {
            k += 1
        }
        guard k < s.count, kinds[k] == .code else { return false }
        let head = text.string(k..<min(s.count, k + 10))
        return continuations.contains { word in
            guard head.hasPrefix(word) else { return false }
            guard let next = head.dropFirst(word.count).first, word.first?.isLetter == true else { return true }
            return !(next.isLetter || next.isNumber || next == "_")
        }
    }

    /// `text` without its leading attributes (`@MainActor`, `@available(macOS 15, *)`).
    static func skippingAttributes(_ text: Substring) -> Substring {
        var rest = text
        while rest.first == "@" {
            rest = rest.dropFirst()
            rest = rest.drop { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }
            if rest.first == "(" { rest = skippingBalancedParentheses(rest) }
            rest = rest.drop { $0 == " " }
        }
        return rest
    }

    private static func skippingBalancedParentheses(_ text: Substring) -> Substring {
        var depth = 0
        var index = text.startIndex
        while index < text.endIndex {
            if text[index] == "(" { depth += 1 }
            if text[index] == ")" {
                depth -= 1
                if depth == 0 { return text[text.index(after: index)...] }
            }
            index = text.index(after: index)
        }
        return text[text.endIndex...]
    }

    /// The declaration keyword after the modifiers (`public`, `private(set)`, `nonisolated(unsafe)`), if any.
    private static func declarationKeyword(_ text: Substring) -> String? {
        var rest = text
        while true {
            let word = String(rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" })
            guard !word.isEmpty else { return nil }
            rest = rest.dropFirst(word.count)
            if keywords.contains(word) {
                return rest.isEmpty || rest.first == " " || rest.first == "<" ? word : nil
            }
            guard modifiers.contains(word) else { return nil }
            if rest.first == "(" { rest = skippingBalancedParentheses(rest) }
            rest = rest.drop { $0 == " " }
        }
    }

    /// Classifies every scalar, and records the brace depth and the bracket depth (`(`, `[`)
    /// before it. Braces and brackets count in code only.
    static func scan(_ text: SourceText) -> ([SourceText.Kind], [Int], [Int]) {
        enum Frame {
            case string(hashes: Int, multiline: Bool)
            case interpolation(parens: Int)
        }
        let s = text.scalars
        let n = s.count
        var kinds = [SourceText.Kind](repeating: .code, count: n)
        var braces = [Int](repeating: 0, count: n)
        var parens = [Int](repeating: 0, count: n)
        var brace = 0
        var paren = 0
        var stack: [Frame] = []
        func mark(_ range: Range<Int>, _ kind: SourceText.Kind) {
            for k in range.clamped(to: 0..<n) {
                kinds[k] = kind
                braces[k] = brace
                parens[k] = paren
            }
        }
        func hashes(at index: Int, count: Int) -> Bool {
            index + count <= n && (0..<count).allSatisfy { s[index + $0] == "#" }
        }
        /// A string literal opening at `index`: `"`, `"""`, `#"`, `##"""`, …
        func stringStart(at index: Int) -> (hashes: Int, multiline: Bool, length: Int)? {
            var k = 0
            while index + k < n, s[index + k] == "#" { k += 1 }
            guard index + k < n, s[index + k] == "\"" else { return nil }
            let multiline = index + k + 2 < n && s[index + k + 1] == "\"" && s[index + k + 2] == "\""
            return (k, multiline, k + (multiline ? 3 : 1))
        }

        var i = 0
        while i < n {
            let c = s[i]
            braces[i] = brace
            parens[i] = paren
            switch stack.last {
            case .string(let count, let multiline)?:
                kinds[i] = .string
                if c == "\\", hashes(at: i + 1, count: count) {
                    let next = i + 1 + count
                    if next < n, s[next] == "(" {
                        mark(i..<(next + 1), .string)
                        stack.append(.interpolation(parens: 0))
                    } else {
                        mark(i..<(next + 1), .string)  // an escape: the escaped scalar cannot end the string
                    }
                    i = next + 1
                    continue
                }
                let quotes = multiline ? 3 : 1
                if c == "\"", i + quotes <= n, (0..<quotes).allSatisfy({ s[i + $0] == "\"" }), hashes(at: i + quotes, count: count) {
                    mark(i..<(i + quotes + count), .string)
                    stack.removeLast()
                    i += quotes + count
                    continue
                }
                if c == "\n", !multiline {
                    stack.removeLast()  // unterminated: give the newline back to the enclosing context
                    continue
                }
                i += 1
            case .interpolation(let depth)?:
                kinds[i] = .string
                if let start = stringStart(at: i) {
                    mark(i..<(i + start.length), .string)
                    stack.append(.string(hashes: start.hashes, multiline: start.multiline))
                    i += start.length
                    continue
                }
                if c == "(" {
                    stack[stack.count - 1] = .interpolation(parens: depth + 1)
                } else if c == ")" {
                    if depth == 0 { stack.removeLast() } else { stack[stack.count - 1] = .interpolation(parens: depth - 1) }
                }
                i += 1
            case nil:
                if c == "/", i + 1 < n, s[i + 1] == "/" {
                    var end = i
                    while end < n, s[end] != "\n" { end += 1 }
                    mark(i..<end, .comment)
                    i = end
                    continue
                }
                if c == "/", i + 1 < n, s[i + 1] == "*" {
                    var level = 1
                    var end = i + 2
                    while end < n, level > 0 {
                        if s[end] == "/", end + 1 < n, s[end + 1] == "*" {
                            level += 1
                            end += 2
                        } else if s[end] == "*", end + 1 < n, s[end + 1] == "/" {
                            level -= 1
                            end += 2
                        } else {
                            end += 1
                        }
                    }
                    mark(i..<end, .comment)
                    i = end
                    continue
                }
                if let start = stringStart(at: i) {
                    mark(i..<(i + start.length), .string)
                    stack.append(.string(hashes: start.hashes, multiline: start.multiline))
                    i += start.length
                    continue
                }
                switch c {
                case "{": brace += 1
                case "}": brace = max(0, brace - 1)
                case "(", "[": paren += 1
                case ")", "]": paren = max(0, paren - 1)
                default: break
                }
                i += 1
            }
        }
        return (kinds, braces, parens)
    }
}
