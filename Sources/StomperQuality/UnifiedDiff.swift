/// One file's unified diff, as `shellcheck -f diff` prints it (`--- a/x.sh`, `+++ b/x.sh`, then
/// `@@ -a,b +c,d @@` hunks), applied strictly: every context and removed line must match the file
/// exactly at the line its hunk names. A fixer's diff is made from the file as it is on disk, so
/// there is no fuzz and no search for an offset: a mismatch means the diff is not for this file,
/// and applying it anywhere else could change the wrong line.
///
/// Bytes, not text: a `\r` before the newline is part of the line, so CRLF files keep their line
/// endings, and `\ No newline at end of file` marks the line before it as one without a newline.
public struct UnifiedDiff: Sendable, Hashable {
    public struct Line: Sendable, Hashable {
        public enum Kind: Sendable, Hashable {
            case context, removed, added
        }

        public var kind: Kind
        /// The line without its prefix and without its newline.
        public var text: [UInt8]
        /// False when `\ No newline at end of file` follows it.
        public var endsWithNewline: Bool

        /// The line as it is in the file.
        var bytes: [UInt8] { endsWithNewline ? text + [UnifiedDiff.newline] : text }
    }

    public struct Hunk: Sendable, Hashable {
        /// 1-based; with a count of 0, the line after which the hunk inserts (0: at the start).
        public var oldStart: Int
        public var oldCount: Int
        public var newStart: Int
        public var newCount: Int
        public var lines: [Line]

        /// `@@ -1,7 +1,7 @@`, for messages.
        public var header: String { "@@ -\(oldStart),\(oldCount) +\(newStart),\(newCount) @@" }
        var oldLines: [Line] { lines.filter { $0.kind != .added } }
        var newLines: [Line] { lines.filter { $0.kind != .removed } }
    }

    /// The names on the `---` and `+++` lines, as printed (`a/x.sh`, `b/x.sh`).
    public var oldName: String
    public var newName: String
    public var hunks: [Hunk]

    static let newline = UInt8(ascii: "\n")

    /// The file's path without git's `a/` and `b/` prefixes, for messages.
    public var path: String {
        if oldName.hasPrefix("a/") && newName.hasPrefix("b/") && oldName.dropFirst(2) == newName.dropFirst(2) {
            return String(newName.dropFirst(2))
        }
        return newName
    }

    /// Whether both headers name `path` (relative to where the fixer ran, as it was given to it),
    /// with or without git's `a/` and `b/` prefixes; `./` and repeated slashes do not matter.
    public func names(_ path: String) -> Bool {
        let wanted = Self.normalized(path)
        func matches(_ name: String, prefix: String) -> Bool {
            Self.normalized(name) == wanted || (name.hasPrefix(prefix) && Self.normalized(String(name.dropFirst(2))) == wanted)
        }
        return matches(oldName, prefix: "a/") && matches(newName, prefix: "b/")
    }

    static func normalized(_ path: String) -> String {
        let parts = path.split(separator: "/").filter { $0 != "." }
        return (path.hasPrefix("/") ? "/" : "") + parts.joined(separator: "/")
    }

    /// `original` with every hunk applied, in order. Throws `.fixRejected` naming the hunk and the
    /// line that did not match; nothing is changed then (the result is all or nothing).
    public func applied(to original: [UInt8], tool: String) throws(QualityError) -> [UInt8] {
        let fileLines = Self.lines(of: original)
        var result: [UInt8] = []
        result.reserveCapacity(original.count + 256)
        var cursor = 0
        var delta = 0
        var current = ""

        // A line without a newline may only end the file.
        func append<Bytes: Collection<UInt8>>(_ bytes: Bytes) throws(QualityError) {
            guard !bytes.isEmpty else { return }
            if let last = result.last, last != Self.newline {
                throw rejected("\(current) leaves a line without a newline in the middle of the file", tool: tool)
            }
            result += bytes
        }

        for (number, hunk) in hunks.enumerated() {
            current = "hunk \(number + 1) of \(hunks.count) (\(hunk.header))"
            let start = hunk.oldCount == 0 ? hunk.oldStart : hunk.oldStart - 1
            guard start >= cursor else {
                throw rejected("\(current) starts before the end of the hunk before it", tool: tool)
            }
            guard start + hunk.oldCount <= fileLines.count else {
                throw rejected("\(current) reaches line \(start + hunk.oldCount), but the file has \(fileLines.count) lines", tool: tool)
            }
            let newStart = start + delta + (hunk.newCount == 0 ? 0 : 1)
            guard hunk.newStart == newStart else {
                throw rejected(
                    "\(current) puts its new lines at \(hunk.newStart), but after the hunks before it they start at \(newStart)",
                    tool: tool)
            }
            for line in fileLines[cursor..<start] { try append(line) }
            for (offset, expected) in hunk.oldLines.enumerated() where !fileLines[start + offset].elementsEqual(expected.bytes) {
                throw rejected(
                    "\(current) expects line \(start + offset + 1) to be \(Self.shown(expected.bytes)), but it is "
                        + Self.shown(Array(fileLines[start + offset])), tool: tool)
            }
            for line in hunk.newLines { try append(line.bytes) }
            cursor = start + hunk.oldCount
            delta += hunk.newCount - hunk.oldCount
        }
        current = "the last hunk"
        for line in fileLines[cursor...] { try append(line) }
        return result
    }

    func rejected(_ detail: String, tool: String, file: String = #fileID, line: UInt = #line) -> QualityError {
        QualityError(
            .fixRejected, "\(tool)'s fix for \(path) was not applied (the file is unchanged): \(detail)", tool: tool,
            file: file, line: line)
    }

    /// The file's lines, each with its newline; the last one may have none.
    static func lines(of bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        for index in bytes.indices where bytes[index] == newline {
            lines.append(bytes[start...index])
            start = index + 1
        }
        if start < bytes.count { lines.append(bytes[start...]) }
        return lines
    }

    /// A line for a message: quoted, `\r` and a missing newline spelled out, long lines cut.
    static func shown(_ bytes: [UInt8]) -> String {
        let terminated = bytes.last == newline
        let escaped = (terminated ? bytes.dropLast() : bytes[...]).flatMap { $0 == UInt8(ascii: "\r") ? Array("\\r".utf8) : [$0] }
        var text = String(decoding: escaped, as: UTF8.self)
        if text.count > 80 { text = String(text.prefix(80)) + "…" }
        return "`\(text)`" + (terminated ? "" : " (without a newline)")
    }
}
