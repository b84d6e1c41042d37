internal import Clibgit2

/// A git object id (SHA-1), held as its 40-character lowercase hex form so it is trivially
/// `Sendable`, hashable and printable.
public struct ObjectID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public let hex: String

    /// Accepts a full 40-character hex id; returns nil for anything else.
    public init?(hex: String) {
        let lowered = hex.lowercased()
        guard lowered.utf8.count == 40, lowered.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) })
        else { return nil }
        self.hex = lowered
    }

    init(_ oid: git_oid) {
        var copy = oid
        self.hex = String(cString: git_oid_tostr_s(&copy))
    }

    var oid: git_oid {
        var out = git_oid()
        // `hex` is validated at construction, so parsing cannot fail.
        _ = git_oid_fromstr(&out, hex)
        return out
    }

    /// The first 12 characters, for messages.
    public var short: String { String(hex.prefix(12)) }
    public var description: String { hex }
    public static func < (lhs: ObjectID, rhs: ObjectID) -> Bool { lhs.hex < rhs.hex }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = ObjectID(hex: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an object id: \(text)")
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}

/// The mode of a tree entry, as git stores it.
public enum FileMode: UInt32, Sendable, Hashable, Codable {
    case regular = 0o100644
    case executable = 0o100755
    case symlink = 0o120000
    case tree = 0o040000
    case submodule = 0o160000

    var gitMode: git_filemode_t { git_filemode_t(rawValue: rawValue) }

    init?(_ mode: git_filemode_t) { self.init(rawValue: mode.rawValue) }

    /// Whether a file of this mode is content stomper can read and rewrite.
    public var isBlob: Bool { self == .regular || self == .executable || self == .symlink }
}

/// One entry of a tree: what is stored at a path in a commit.
public struct TreeEntry: Hashable, Sendable, Codable {
    public var id: ObjectID
    public var mode: FileMode
    public init(id: ObjectID, mode: FileMode) {
        self.id = id
        self.mode = mode
    }
}
