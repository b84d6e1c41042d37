/// The most recent docgen results, at most `capacity` of them: appending past capacity drops
/// the oldest. Appending is O(1) and never reallocates once the buffer is full.
public struct DocgenHistory: Sendable {
    public static let defaultCapacity = 100

    public let capacity: Int
    /// Grows to `capacity`, then is overwritten in place from `oldest` on.
    private var storage: [DocgenResult] = []
    /// Index in `storage` of the oldest result once the buffer is full; 0 before.
    private var oldest = 0

    /// - Precondition: `capacity` ≥ 1.
    public init(capacity: Int = defaultCapacity) {
        precondition(capacity >= 1, "DocgenHistory needs a capacity of at least 1")
        self.capacity = capacity
        storage.reserveCapacity(capacity)
    }

    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.isEmpty }

    public mutating func append(_ result: DocgenResult) {
        if storage.count < capacity {
            storage.append(result)
        } else {
            storage[oldest] = result
            oldest = (oldest + 1) % capacity
        }
    }

    /// The results, oldest first.
    public var recent: [DocgenResult] {
        Array(storage[oldest...] + storage[..<oldest])
    }

    /// The newest result, if any.
    public var last: DocgenResult? {
        storage.isEmpty ? nil : storage[(oldest + storage.count - 1) % storage.count]
    }
}
