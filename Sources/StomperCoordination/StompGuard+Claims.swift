/// Leases held past one call, for holders outside this process's own work: an MCP client's
/// `claim`, `renew`, `release` and `write_file`. `withResources` takes, renews and releases leases
/// around a body; here the holder does each step itself, and nothing renews a lease for it — a
/// client that stops calling loses its paths after their TTL, and its later writes are refused.
extension StompGuard {
    /// Leases each resource for `holder` (in sorted order, so overlapping claims never deadlock),
    /// waiting at most `maxWait` for each; when one cannot be had, the ones already taken are
    /// released and the error names the holder that kept it (`ResourceBusy`).
    public func claim(
        _ resources: [ResourceDescriptor], holder: LeaseHolder, ttl: Duration? = nil,
        maxWait: Duration
    ) async throws -> [Lease] {
        let ordered = Array(Set(resources)).sorted()
        guard let first = ordered.first else { return [] }
        guard policy.enabled, !policy.observeOnly else {
            throw CoordinationError(
                .coordinationOff, resource: first,
                message: "claims need enforced coordination: set maasl.enabled = true and maasl.mode = \"enforce\"")
        }
        let ttlMilliseconds = ttl.map { Int(CoordinationError.milliseconds($0)) }
        var leases: [Lease] = []
        do {
            for resource in ordered {
                guard
                    let lease = try await acquireDurable(
                        resource, holder: holder, start: .now, maxWait: maxWait,
                        contended: false, ttlMilliseconds: ttlMilliseconds)
                else {
                    throw CoordinationError(.internal, resource: resource, message: "an enforced acquisition returned no lease")
                }
                leases.append(lease)
            }
            return leases
        } catch {
            for lease in leases { _ = try? await release(token: lease.token) }
            throw error
        }
    }

    /// Extends the lease that `token` was granted by `ttl` (the class's TTL by default) from now.
    /// Throws `NotHeld` when no lease has that token any more and `StaleVersion` when it was
    /// taken over between the look-up and the renewal.
    public func renew(token: FencingToken, ttl: Duration? = nil) async throws -> Lease {
        let lease = try await heldLease(token)
        let ttlMilliseconds =
            ttl.map { Int(CoordinationError.milliseconds($0)) }
            ?? policy[lease.resource.resourceClass].leaseTTLMilliseconds
        let clock = self.clock
        let outcome = try await store.transaction([lease.resource]) { transaction -> LeaseTable.RenewAction in
            let now = clock.now()
            let action = transaction.table.renew(lease.resource, token: token, ttlMilliseconds: ttlMilliseconds, now: now)
            switch action {
            case .renewed(let renewed):
                transaction.events.append(
                    CoordinationEvent(
                        .renewed, resource: lease.resource, holder: renewed.holder,
                        token: token, timestamp: now))
            case .lost(let current):
                transaction.events.append(
                    CoordinationEvent(
                        .lost, resource: lease.resource, holder: lease.holder,
                        token: token, other: current?.holder, timestamp: now))
            }
            return action
        }
        switch outcome {
        case .renewed(let renewed): return renewed
        case .lost(let current):
            throw CoordinationError(
                .staleVersion, resource: lease.resource,
                message: "lease \(token) ran out and was taken over before it was renewed", holder: current?.holder)
        }
    }

    /// Gives up the lease that `token` was granted. Throws `NotHeld` when it is no longer held.
    @discardableResult
    public func release(token: FencingToken) async throws -> Lease {
        let lease = try await heldLease(token)
        let clock = self.clock
        let outcome = try await store.transaction([lease.resource]) { transaction -> LeaseTable.ReleaseAction in
            let now = clock.now()
            let action = transaction.table.release(lease.resource, token: token)
            if case .released(let released) = action {
                transaction.events.append(
                    CoordinationEvent(
                        .released, resource: released.resource, holder: released.holder,
                        token: token, heldMilliseconds: now - released.acquiredAt,
                        timestamp: now))
            }
            return action
        }
        switch outcome {
        case .released(let released): return released
        case .notHeld(let current):
            throw CoordinationError(
                .notHeld, resource: lease.resource,
                message: "lease \(token) was released or taken over before this release", holder: current?.holder)
        }
    }

    /// Runs `write` only if `token` is the current lease of `resource`, inside the store's write
    /// transaction: no other holder's grant or fenced write can come between the check and the
    /// write, so a file always ends with the newest holder's bytes. A token of another resource's
    /// lease, a released one, or one taken over is refused (`NotHeld` / `StaleVersion`) and the
    /// refusal recorded; `write` is not run then.
    public func fencedWrite<T: Sendable>(
        _ resource: ResourceDescriptor, token: FencingToken,
        _ write: @escaping @Sendable () throws -> T
    ) throws -> T {
        let clock = self.clock
        let fallbackHolder = holder
        let outcome = try store.transactionNow([resource]) { transaction -> FencedWrite<T> in
            let now = clock.now()
            guard let lease = transaction.table.leases[resource], lease.token == token else {
                let current = transaction.table.leases[resource]
                if let latest = transaction.table.fences[resource], latest > token {
                    transaction.events.append(
                        CoordinationEvent(
                            .stale, resource: resource, holder: fallbackHolder, token: token,
                            other: current?.holder, timestamp: now))
                    return .stale(latest: latest, current: current)
                }
                return .notHeld(current: current)
            }
            switch transaction.table.write(resource, token: token) {
            case .stale(let latest, let current):
                transaction.events.append(
                    CoordinationEvent(
                        .stale, resource: resource, holder: lease.holder, token: token,
                        other: current?.holder, timestamp: now))
                return .stale(latest: latest, current: current)
            case .accepted:
                do {
                    let value = try write()
                    transaction.events.append(
                        CoordinationEvent(
                            .written, resource: resource, holder: lease.holder, token: token,
                            timestamp: now))
                    return .written(value)
                } catch {
                    return .failed(error)
                }
            }
        }
        switch outcome {
        case .written(let value): return value
        case .failed(let error): throw error
        case .stale(let latest, let current):
            throw CoordinationError(
                .staleVersion, resource: resource,
                message:
                    "fencing token \(token) is not this path's current lease (token \(latest) is newer): the lease ran out and another holder took the path, or the token was granted for another path; this write is refused",
                holder: current?.holder)
        case .notHeld(let current):
            throw CoordinationError(
                .notHeld, resource: resource,
                message: "fencing token \(token) holds no lease on this path: claim it first (a token is good only for the path it was granted for)",
                holder: current?.holder)
        }
    }

    /// The lease that `token` currently holds, whatever its resource.
    private func heldLease(_ token: FencingToken) async throws -> Lease {
        guard let lease = try await store.leases().first(where: { $0.token == token }) else {
            throw CoordinationError(
                .notHeld, resource: ResourceDescriptor(.critCode, "(no lease)"),
                message: "fencing token \(token) holds no lease: it was released, or it ran out and was taken over; claim the path again")
        }
        return lease
    }
}

private enum FencedWrite<T: Sendable>: Sendable {
    case written(T)
    case failed(any Error)
    case stale(latest: FencingToken, current: Lease?)
    case notHeld(current: Lease?)
}
