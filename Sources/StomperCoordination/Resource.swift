/// The classes of shared resource stomper coordinates access to (DESIGN.md, "Resource classes").
public enum ResourceClass: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// One source file: at most one writer lands on it at a time.
    case critCode = "CRIT_CODE"
    /// The ledger database: a single writer.
    case critDB = "CRIT_DB"
    /// Run metadata and learning statistics: merged deterministically, never blocks.
    case mergeMeta = "MERGE_META"
    /// Generated documentation of the repository.
    case idempDocs = "IDEMP_DOCS"

    public static func < (lhs: ResourceClass, rhs: ResourceClass) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Whether a person is waiting (short waits) or a batch job is (longer waits).
public enum OperationMode: String, Sendable, Hashable, Codable {
    case interactive, batch
}

/// One resource: a class and a key within it (a path for CRIT_CODE).
public struct ResourceDescriptor: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var resourceClass: ResourceClass
    public var key: String

    public init(_ resourceClass: ResourceClass, _ key: String) {
        self.resourceClass = resourceClass
        self.key = key
    }

    /// CRIT_CODE on one file.
    public static func file(_ path: String) -> ResourceDescriptor { ResourceDescriptor(.critCode, path) }

    /// IDEMP_DOCS: the repository's generated documentation, one resource for the whole repository.
    public static let docs = ResourceDescriptor(.idempDocs, "docs")

    /// Parses `CLASS:key` as printed by `description`.
    public init?(parsing text: String) {
        guard let colon = text.firstIndex(of: ":"), let resourceClass = ResourceClass(rawValue: String(text[..<colon])) else {
            return nil
        }
        self.init(resourceClass, String(text[text.index(after: colon)...]))
    }

    /// Resources are always acquired in this order, so overlapping sets cannot deadlock.
    public static func < (lhs: ResourceDescriptor, rhs: ResourceDescriptor) -> Bool {
        (lhs.resourceClass, lhs.key) < (rhs.resourceClass, rhs.key)
    }

    public var description: String { "\(resourceClass.rawValue):\(key)" }
}

/// A number that grows with every grant. A write checks its token against the last one recorded
/// for the resource, so a holder whose lease lapsed cannot write after a newer holder was granted it.
public struct FencingToken: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var value: UInt64
    public init(_ value: UInt64) { self.value = value }
    public static func < (lhs: FencingToken, rhs: FencingToken) -> Bool { lhs.value < rhs.value }
    public var description: String { "\(value)" }
}
