/// The pure logic of durable leases: grant, queue, renew, expire, evict, release and the fencing
/// check at a write. No threads, no storage, no clock: every call takes `now` and returns what
/// happened, so every interleaving can be tested directly. A store loads the rows a transaction
/// needs into a table, applies one call, and writes back what changed.
///
/// Tokens come from one counter shared by every resource and every process, so a later grant
/// always has a larger token. `fences` keeps, per resource, the largest token granted or written.
public struct LeaseTable: Sendable, Hashable {
    public private(set) var counter: UInt64
    public private(set) var leases: [ResourceDescriptor: Lease]
    public private(set) var fences: [ResourceDescriptor: FencingToken]

    public init(counter: UInt64 = 0, leases: [ResourceDescriptor: Lease] = [:], fences: [ResourceDescriptor: FencingToken] = [:]) {
        self.counter = counter
        self.leases = leases
        self.fences = fences
    }

    public enum AcquireAction: Sendable, Hashable {
        /// The caller holds the resource now. `expired` is the lapsed lease it replaced, if any.
        case granted(Lease, expired: Lease?)
        /// Another holder has it until `current.expiresAt`: queue and try again.
        case queued(current: Lease)
    }

    public enum RenewAction: Sendable, Hashable {
        case renewed(Lease)
        /// The lease is gone or belongs to a newer grant: the caller must not write.
        case lost(current: Lease?)
    }

    public enum ReleaseAction: Sendable, Hashable {
        case released(Lease)
        /// Nothing to release: it expired and was granted to `current` (or to nobody).
        case notHeld(current: Lease?)
    }

    public enum WriteAction: Sendable, Hashable {
        case accepted
        /// A newer token was granted or written: the write must be refused.
        case stale(latest: FencingToken, current: Lease?)
    }

    public mutating func acquire(
        _ resource: ResourceDescriptor, by holder: LeaseHolder, ttlMilliseconds: Int,
        now: Int64
    ) -> AcquireAction {
        var expired: Lease?
        if let current = leases[resource] {
            guard current.isExpired(at: now) else { return .queued(current: current) }
            expired = current
        }
        counter += 1
        let lease = Lease(
            resource: resource, holder: holder, token: FencingToken(counter), acquiredAt: now,
            expiresAt: now + Int64(ttlMilliseconds))
        leases[resource] = lease
        fences[resource] = lease.token
        return .granted(lease, expired: expired)
    }

    /// Extends a lease the caller still holds. A lapsed lease nobody took is renewed too: no newer
    /// token exists, so nothing was lost.
    public mutating func renew(_ resource: ResourceDescriptor, token: FencingToken, ttlMilliseconds: Int, now: Int64) -> RenewAction {
        guard var lease = leases[resource], lease.token == token else { return .lost(current: leases[resource]) }
        lease.expiresAt = now + Int64(ttlMilliseconds)
        leases[resource] = lease
        return .renewed(lease)
    }

    public mutating func release(_ resource: ResourceDescriptor, token: FencingToken) -> ReleaseAction {
        guard let lease = leases[resource], lease.token == token else { return .notHeld(current: leases[resource]) }
        leases[resource] = nil
        return .released(lease)
    }

    /// Removes every lease that ran out; returns them.
    public mutating func expire(now: Int64) -> [Lease] {
        let lapsed = leases.values.filter { $0.isExpired(at: now) }.sorted { $0.resource < $1.resource }
        for lease in lapsed { leases[lease.resource] = nil }
        return lapsed
    }

    /// Removes a lease whose holder is known to be dead (its process is gone), before its TTL.
    public mutating func evict(_ resource: ResourceDescriptor, token: FencingToken) -> Lease? {
        guard let lease = leases[resource], lease.token == token else { return nil }
        leases[resource] = nil
        return lease
    }

    /// The fencing check at the write itself: refuses a token older than the newest one granted
    /// or written for the resource, otherwise records the write.
    public mutating func write(_ resource: ResourceDescriptor, token: FencingToken) -> WriteAction {
        if let latest = fences[resource], latest > token {
            return .stale(latest: latest, current: leases[resource])
        }
        fences[resource] = token
        return .accepted
    }
}
