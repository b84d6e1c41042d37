/// A source file as Unicode scalars with its line starts, and what each scalar is (code, comment,
/// string), as the language scanners classify it. Declarations are looked for in code only, so a
/// `def` in a docstring or a `func` in a string literal is never reported.
struct SourceText {
    enum Kind: UInt8 {
        case code, comment, string
    }

    let scalars: [Unicode.Scalar]
    /// Index of the first scalar of each line.
    let lineStarts: [Int]

    /// Invalid UTF-8 is repaired (U+FFFD); a leading byte-order mark is dropped.
    init(_ bytes: [UInt8]) {
        var scalars = Array(String(decoding: bytes, as: UTF8.self).unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        self.scalars = scalars
        var starts = [0]
        for (index, scalar) in scalars.enumerated() where scalar == "\n" { starts.append(index + 1) }
        lineStarts = starts
    }

    var count: Int { scalars.count }

    /// Lines as an editor counts them: a final newline does not start another line.
    var lineCount: Int {
        if scalars.isEmpty { return 0 }
        return scalars.last == "\n" ? lineStarts.count - 1 : lineStarts.count
    }

    /// The 1-based line of the scalar at `index`.
    func line(of index: Int) -> Int {
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= index { low = mid } else { high = mid - 1 }
        }
        return low + 1
    }

    /// True if `index` is the first scalar of its line.
    func isAtColumnZero(_ index: Int) -> Bool {
        index == 0 || scalars[index - 1] == "\n"
    }

    func string(_ range: Range<Int>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[range])
        return String(view)
    }

    /// The text of `range` on one line: comments dropped, whitespace outside strings and line
    /// breaks inside them collapsed to single spaces (none just inside brackets or before a comma), a trailing comma before a
    /// closing bracket on a new line dropped, and cut to `limit` characters with `…`.
    func signature(_ range: Range<Int>, kinds: [Kind], limit: Int) -> String {
        var out: [Unicode.Scalar] = []
        var outIsCode: [Bool] = []
        var pendingSpace = false
        var inStringBreak = false  // after a newline inside a multi-line string
        var index = range.lowerBound
        while index < range.upperBound {
            let scalar = scalars[index]
            let kind = kinds[index]
            defer { index += 1 }
            if kind == .string, scalar == "\n" || scalar == "\r" || (inStringBreak && scalar.properties.isWhitespace) {
                inStringBreak = true
                pendingSpace = true
                continue
            }
            inStringBreak = false
            if kind == .comment || (kind == .code && scalar.properties.isWhitespace) {
                pendingSpace = true
                continue
            }
            if kind == .code, scalar == "\\", index + 1 < range.upperBound,
                scalars[index + 1] == "\n" || scalars[index + 1] == "\r"
            {
                pendingSpace = true  // a Python or shell line continuation
                continue
            }
            let closing = kind == .code && (scalar == ")" || scalar == "]")
            if pendingSpace, let previous = out.last {
                let afterOpening = outIsCode.last == true && (previous == "(" || previous == "[")
                if closing, outIsCode.last == true, previous == "," {
                    out.removeLast()
                    outIsCode.removeLast()
                } else if !afterOpening && !closing && !(kind == .code && scalar == ",") {
                    out.append(" ")
                    outIsCode.append(true)
                }
            }
            pendingSpace = false
            out.append(scalar)
            outIsCode.append(kind == .code)
        }
        var text = String(String.UnicodeScalarView(out))
        if text.count > limit { text = String(text.prefix(limit - 1)) + "…" }
        return text
    }
}

/// One top-level declaration of an outline.
struct OutlineEntry: Hashable, Sendable {
    /// 1-based line of the declaration itself (not of its decorators).
    var line: Int
    var signature: String
    /// Python decorators, in source order.
    var decorators: [String] = []
}

/// What a language scanner found in a file.
struct Outline: Hashable, Sendable {
    /// The first line of the module docstring, if the language has one.
    var summary: String?
    var entries: [OutlineEntry]
}
