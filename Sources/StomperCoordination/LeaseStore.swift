import Synchronization

/// What the coordination layer records: every grant, release, expiry, refusal and busy wait,
/// so `stomper stats` can show contention and `stomper tail` can show who waited on whom.
public struct CoordinationEvent: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case acquired = "lease.acquired"
        case released = "lease.released"
        /// A lease ran out (its holder stopped renewing) and was taken over.
        case expired = "lease.expired"
        /// A lease of a holder whose process is gone was removed before its TTL.
        case evicted = "lease.evicted"
        /// A holder found at renewal that its lease had been taken over.
        case lost = "lease.lost"
        /// A wait ran out: `ResourceBusy`.
        case busy = "lease.busy"
        /// A write with an old fencing token was refused: `StaleVersion`.
        case stale = "lease.stale"
        /// Observe-only mode: this acquisition would have waited.
        case wouldWait = "lease.would_wait"
        /// Observe-only mode: this write would have been refused.
        case wouldRefuse = "lease.would_refuse"
        /// A holder extended its lease on request (an MCP client's `renew`; the automatic renewal
        /// inside `withResources` is not recorded).
        case renewed = "lease.renewed"
        /// A write passed the fencing check (an MCP client's `write_file`).
        case written = "lease.written"
    }

    public var kind: Kind
    public var resource: ResourceDescriptor
    public var holder: LeaseHolder
    public var token: FencingToken?
    /// The other party: the holder waited on, or the newer holder that took over.
    public var other: LeaseHolder?
    public var waitedMilliseconds: Int64?
    public var heldMilliseconds: Int64?
    public var contended: Bool
    public var timestamp: Int64

    public init(
        _ kind: Kind, resource: ResourceDescriptor, holder: LeaseHolder, token: FencingToken? = nil,
        other: LeaseHolder? = nil, waitedMilliseconds: Int64? = nil, heldMilliseconds: Int64? = nil,
        contended: Bool = false, timestamp: Int64
    ) {
        self.kind = kind
        self.resource = resource
        self.holder = holder
        self.token = token
        self.other = other
        self.waitedMilliseconds = waitedMilliseconds
        self.heldMilliseconds = heldMilliseconds
        self.contended = contended
        self.timestamp = timestamp
    }
}

/// One atomic step on the shared lease table: the rows of the resources asked for, and the events
/// to record with the change, committed together.
public struct LeaseTransaction: Sendable {
    public var table: LeaseTable
    public var events: [CoordinationEvent] = []

    public init(table: LeaseTable) { self.table = table }
}

/// Where leases, the fencing counter and coordination events live. The ledger database is the
/// durable, cross-process store; `InMemoryLeaseStore` serves one process and tests.
///
/// A transaction sees the leases and fences of `resources` (and the shared counter), applies
/// `body`, and persists what changed with the events, all or nothing. `body` must not throw for
/// outcomes that should be recorded (a refused write): return them instead.
public protocol LeaseStore: Sendable {
    func transaction<T: Sendable>(
        _ resources: [ResourceDescriptor],
        _ body: @escaping @Sendable (inout LeaseTransaction) throws -> T
    ) async throws -> T
    /// The same, blocking the calling thread: for the fencing check inside a write's critical section.
    func transactionNow<T: Sendable>(
        _ resources: [ResourceDescriptor],
        _ body: @escaping @Sendable (inout LeaseTransaction) throws -> T
    ) throws -> T
    /// Every lease in the table, lapsed ones included (for `stomper locks`).
    func leases() async throws -> [Lease]
}

/// A lease store in memory, shared by whatever holds a reference to it.
public final class InMemoryLeaseStore: LeaseStore {
    private let state = Mutex<(table: LeaseTable, events: [CoordinationEvent])>((LeaseTable(), []))

    public init() {}

    public func transaction<T: Sendable>(
        _ resources: [ResourceDescriptor],
        _ body: @escaping @Sendable (inout LeaseTransaction) throws -> T
    ) async throws -> T {
        try transactionNow(resources, body)
    }

    public func transactionNow<T: Sendable>(
        _ resources: [ResourceDescriptor],
        _ body: @escaping @Sendable (inout LeaseTransaction) throws -> T
    ) throws -> T {
        try state.withLock { state in
            var transaction = LeaseTransaction(table: state.table)
            let result = try body(&transaction)
            state.table = transaction.table
            state.events += transaction.events
            return result
        }
    }

    public func leases() async throws -> [Lease] {
        state.withLock { $0.table.leases.values.sorted { $0.resource < $1.resource } }
    }

    /// Everything recorded so far, oldest first.
    public var events: [CoordinationEvent] { state.withLock { $0.events } }
}
