extension String {
    /// The text with every character that could steer a terminal or a log viewer shown as a
    /// visible escape instead: C0 controls (line breaks and tabs included), DEL, C1 controls and
    /// the bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069, U+061C, U+200E,
    /// U+200F), which can make a file name read as another. `\x1b` for one byte, `\u{202e}`
    /// above. For text that comes from a repository, a linter or an agent — a file name, a
    /// message, a reason — before it is printed; a value with none of them is returned as it is.
    public var displaySafe: String { displaySafe(keepingLineBreaks: false) }

    /// `displaySafe`, but `\n` stays a line break: for text whose lines a format escapes on its
    /// own (an annotation's message).
    public func displaySafe(keepingLineBreaks: Bool) -> String {
        let needsEscape = { (scalar: Unicode.Scalar) in Self.needsEscape(scalar) && !(keepingLineBreaks && scalar == "\n") }
        guard unicodeScalars.contains(where: needsEscape) else { return self }
        var result = ""
        result.reserveCapacity(utf8.count + 8)
        for scalar in unicodeScalars {
            guard needsEscape(scalar) else {
                result.unicodeScalars.append(scalar)
                continue
            }
            let hex = String(scalar.value, radix: 16)
            result += scalar.value < 0x100 ? "\\x" + String(repeating: "0", count: 2 - hex.count) + hex : "\\u{\(hex)}"
        }
        return result
    }

    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x202A...0x202E, 0x2066...0x2069, 0x061C, 0x200E, 0x200F: return true
        default: return false
        }
    }
}
