import Synchronization

/// The anti-stomp facade: `withResources([descriptors], mode) { grant in … }` over a durable
/// lease store shared by every process on the repository.
///
/// - Resources are acquired in sorted order, so overlapping sets never deadlock.
/// - Inside this process, waiters queue FIFO per key in an actor (cancellable, bounded by the
///   class's maximum wait); across processes, the head of that queue polls the store until the
///   holder releases, its lease expires, or its process is found dead.
/// - While the body runs, leases are renewed at a third of their TTL. A holder that stops (killed,
///   paused) stops renewing; after the TTL the next waiter is granted a newer token, and the
///   stopped holder's write is refused by `LeaseGrant.checkWrite` with `StaleVersion`.
/// - Leases are released on every exit path, cancellation included.
/// - MERGE_META takes no lease (it never blocks: its writes merge deterministically).
/// - With the policy's `enabled = false` nothing is acquired; in observe-only mode nothing blocks
///   and nothing is refused, but every would-be wait and refusal is recorded.
public final class StompGuard: ResourceGuard {
    public let policy: CoordinationPolicy
    public let store: any LeaseStore
    let clock: any LeaseClock
    private let holderState: Mutex<LeaseHolder>
    private let isAlive: @Sendable (LeaseHolder) -> Bool
    private let mutexes = MutexTable()

    /// - Parameter isAlive: whether a holder's process still runs; a lease of a dead holder is
    ///   evicted at once instead of after its TTL (a crashed run resumed at once must not wait).
    public init(
        store: any LeaseStore, policy: CoordinationPolicy = CoordinationPolicy(),
        holder: LeaseHolder = .currentProcess(), clock: any LeaseClock = SystemLeaseClock(),
        isAlive: @escaping @Sendable (LeaseHolder) -> Bool = { _ in true }
    ) {
        self.store = store
        self.policy = policy
        self.clock = clock
        self.holderState = Mutex(holder)
        self.isAlive = isAlive
    }

    public var holder: LeaseHolder { holderState.withLock { $0 } }

    public func attach(runID: String) {
        holderState.withLock { $0.runID = runID }
    }

    public func withResources<T: Sendable>(
        _ resources: [ResourceDescriptor], mode: OperationMode,
        _ body: @Sendable (LeaseGrant) async throws -> T
    ) async throws -> T {
        let ordered = Array(Set(resources.filter { $0.resourceClass != .mergeMeta })).sorted()
        guard policy.enabled, !ordered.isEmpty else { return try await body(.unfenced(token: FencingToken(0))) }
        let holder = self.holder
        var mutexIDs: [(ResourceDescriptor, UInt64)] = []
        var leases: [Lease] = []
        do {
            for resource in ordered {
                let start = ContinuousClock.now
                let maxWait = policy[resource.resourceClass].maxWait(mode)
                var contended = false
                if !policy.observeOnly {
                    let id = try await mutexes.acquire(resource, maxWait: maxWait, holder: holder)
                    mutexIDs.append((resource, id))
                    contended = ContinuousClock.now - start > .milliseconds(1)
                }
                if let lease = try await acquireDurable(
                    resource, holder: holder, start: start, maxWait: maxWait,
                    contended: contended)
                {
                    leases.append(lease)
                }
            }
        } catch {
            await release(leases, mutexIDs)
            throw error
        }
        let granted = leases
        let grant = LeaseGrant(leases: granted, fence: { [self] resources in try self.checkWrite(granted, holder: holder, resources) })
        do {
            // The renewal runs as a child task beside the body and is cancelled when the body ends.
            let result = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await self.renew(granted) }
                defer { group.cancelAll() }
                return try await body(grant)
            }
            await release(leases, mutexIDs)
            return result
        } catch {
            await release(leases, mutexIDs)
            throw error
        }
    }

    // MARK: Acquisition

    private enum Attempt: Sendable {
        case granted(Lease)
        case queued(Lease)
    }

    /// Polls the store until the resource is granted or `maxWait` has passed since `start`.
    /// Returns nil in observe-only mode when the resource is held (the caller goes on unprotected).
    /// `ttlMilliseconds` overrides the class's TTL (an MCP client's claim may ask for its own).
    func acquireDurable(
        _ resource: ResourceDescriptor, holder: LeaseHolder, start: ContinuousClock.Instant,
        maxWait: Duration, contended alreadyContended: Bool, ttlMilliseconds: Int? = nil
    ) async throws -> Lease? {
        let ttl = ttlMilliseconds ?? policy[resource.resourceClass].leaseTTLMilliseconds
        let observeOnly = policy.observeOnly
        let clock = self.clock
        var contended = alreadyContended
        var delay: Duration = .milliseconds(1)
        while true {
            let waited = CoordinationError.milliseconds(ContinuousClock.now - start)
            let wasContended = contended
            let attempt = try await store.transaction([resource]) { transaction in
                let now = clock.now()
                switch transaction.table.acquire(resource, by: holder, ttlMilliseconds: ttl, now: now) {
                case .granted(let lease, let expired):
                    if let expired {
                        transaction.events.append(
                            CoordinationEvent(
                                .expired, resource: resource, holder: expired.holder,
                                token: expired.token, other: holder, timestamp: now))
                    }
                    transaction.events.append(
                        CoordinationEvent(
                            .acquired, resource: resource, holder: holder, token: lease.token,
                            waitedMilliseconds: waited, contended: wasContended, timestamp: now))
                    return Attempt.granted(lease)
                case .queued(let current):
                    if observeOnly {
                        transaction.events.append(
                            CoordinationEvent(
                                .wouldWait, resource: resource, holder: holder,
                                other: current.holder, contended: true, timestamp: now))
                    }
                    return Attempt.queued(current)
                }
            }
            let current: Lease
            switch attempt {
            case .granted(let lease): return lease
            case .queued(let lease): current = lease
            }
            if observeOnly { return nil }
            contended = true
            if current.holder.host == holder.host, current.holder.pid != holder.pid, !isAlive(current.holder) {
                try await evict(current, by: holder)
                continue
            }
            let elapsed = ContinuousClock.now - start
            if elapsed >= maxWait {
                let now = clock.now()
                try await store.transaction([resource]) { transaction in
                    transaction.events.append(
                        CoordinationEvent(
                            .busy, resource: resource, holder: holder, other: current.holder,
                            waitedMilliseconds: CoordinationError.milliseconds(elapsed),
                            contended: true, timestamp: now))
                }
                throw CoordinationError(
                    .resourceBusy, resource: resource,
                    message: "another holder kept the resource longer than the maximum wait",
                    holder: current.holder, waited: elapsed, maxWait: maxWait)
            }
            let untilExpiry = Duration.milliseconds(max(1, current.expiresAt - clock.now()))
            try await Task.sleep(for: min(delay, maxWait - elapsed, untilExpiry))
            delay = min(delay * 2, .milliseconds(50))
        }
    }

    private func evict(_ lease: Lease, by holder: LeaseHolder) async throws {
        let clock = self.clock
        try await store.transaction([lease.resource]) { transaction in
            if let evicted = transaction.table.evict(lease.resource, token: lease.token) {
                transaction.events.append(
                    CoordinationEvent(
                        .evicted, resource: lease.resource, holder: evicted.holder,
                        token: evicted.token, other: holder, timestamp: clock.now()))
            }
        }
    }

    // MARK: Holding

    /// Renews the leases at a third of the shortest TTL until cancelled. A lost lease is recorded;
    /// the write's fencing check is what refuses the holder.
    private func renew(_ leases: [Lease]) async {
        guard !leases.isEmpty else { return }
        let policy = self.policy
        let ttls = leases.map { policy[$0.resource.resourceClass].leaseTTLMilliseconds }
        let interval = Duration.milliseconds(max(1, (ttls.min() ?? 3_000) / 3))
        let clock = self.clock
        var live = leases
        while !Task.isCancelled, !live.isEmpty {
            do { try await Task.sleep(for: interval) } catch { return }
            let current = live
            live =
                (try? await store.transaction(current.map(\.resource)) { transaction -> [Lease] in
                    let now = clock.now()
                    var renewed: [Lease] = []
                    for lease in current {
                        let ttl = policy[lease.resource.resourceClass].leaseTTLMilliseconds
                        switch transaction.table.renew(lease.resource, token: lease.token, ttlMilliseconds: ttl, now: now) {
                        case .renewed(let lease):
                            renewed.append(lease)
                        case .lost(let newer):
                            transaction.events.append(
                                CoordinationEvent(
                                    .lost, resource: lease.resource, holder: lease.holder,
                                    token: lease.token, other: newer?.holder, timestamp: now))
                        }
                    }
                    return renewed
                }) ?? current
        }
    }

    /// The fencing check at the write (see `LeaseGrant.checkWrite`). Blocks the calling thread
    /// for one store transaction.
    private func checkWrite(_ leases: [Lease], holder: LeaseHolder, _ only: [ResourceDescriptor]?) throws {
        let checked = only.map { wanted in leases.filter { wanted.contains($0.resource) } } ?? leases
        guard !checked.isEmpty else { return }
        let observeOnly = policy.observeOnly
        let clock = self.clock
        let refused = try store.transactionNow(checked.map(\.resource)) { transaction -> (Lease, FencingToken, Lease?)? in
            let now = clock.now()
            var refused: (Lease, FencingToken, Lease?)?
            for lease in checked {
                if case .stale(let latest, let current) = transaction.table.write(lease.resource, token: lease.token) {
                    transaction.events.append(
                        CoordinationEvent(
                            observeOnly ? .wouldRefuse : .stale, resource: lease.resource,
                            holder: holder, token: lease.token, other: current?.holder,
                            timestamp: now))
                    refused = refused ?? (lease, latest, current)
                }
            }
            return refused
        }
        if let (lease, latest, current) = refused, !observeOnly {
            throw CoordinationError(
                .staleVersion, resource: lease.resource,
                message:
                    "fencing token \(lease.token) is older than token \(latest): the lease ran out and another holder took the resource, so this write is refused",
                holder: current?.holder)
        }
    }

    // MARK: Release

    private func release(_ leases: [Lease], _ mutexIDs: [(ResourceDescriptor, UInt64)]) async {
        if !leases.isEmpty {
            let clock = self.clock
            _ = try? await store.transaction(leases.map(\.resource)) { transaction in
                let now = clock.now()
                for lease in leases {
                    if case .released = transaction.table.release(lease.resource, token: lease.token) {
                        transaction.events.append(
                            CoordinationEvent(
                                .released, resource: lease.resource, holder: lease.holder,
                                token: lease.token, heldMilliseconds: now - lease.acquiredAt,
                                timestamp: now))
                    }
                }
            }
        }
        for (resource, id) in mutexIDs.reversed() { await mutexes.release(resource, id: id) }
    }
}
