import Crypto

/// The first line of every generated doc: `<!-- SHA256: <hash of the source's bytes> -->`.
///
/// The header is the SHA gate: a doc whose header names the source's current hash is up to date
/// and is not regenerated. The line is an HTML comment so the rendered Markdown does not show it.
public enum DocHeader {
    static let prefix = "<!-- SHA256: "
    static let suffix = " -->"

    /// The SHA-256 of `bytes` as 64 lowercase hexadecimal digits.
    ///
    /// A member, not a free function: StomperCore exports a free `sha256Hex`, and the CLI imports
    /// both modules.
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in SHA256.hash(data: bytes) {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The header line (without its newline) for a source whose SHA-256 is `hash`.
    ///
    /// - Precondition: `hash` is 64 lowercase hexadecimal digits, as `sha256Hex(_:)` returns.
    public static func line(for hash: String) -> String {
        precondition(isValidHash(hash), "DocHeader.line(for:) needs a lowercase SHA-256 hex digest")
        return prefix + hash + suffix
    }

    /// The source hash recorded in the first line of `bytes`, or nil when that line is not exactly
    /// a header (missing, uppercase or short hash, extra text). A trailing `\r` is tolerated, so a
    /// doc checked out with CRLF line endings still matches.
    public static func hash(inDoc bytes: [UInt8]) -> String? {
        var first = bytes.prefix { $0 != UInt8(ascii: "\n") }
        if first.last == UInt8(ascii: "\r") { first = first.dropLast() }
        let line = String(decoding: first, as: UTF8.self)
        guard line.hasPrefix(prefix), line.hasSuffix(suffix),
            line.utf8.count == prefix.utf8.count + 64 + suffix.utf8.count
        else { return nil }
        let hash = String(line.dropFirst(prefix.count).dropLast(suffix.count))
        return isValidHash(hash) ? hash : nil
    }

    /// True if `doc`'s header names `sourceHash`: the doc describes the source as it is now.
    public static func isCurrent(doc: [UInt8], sourceHash: String) -> Bool {
        hash(inDoc: doc) == sourceHash
    }

    static func isValidHash(_ hash: String) -> Bool {
        hash.utf8.count == 64 && hash.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
