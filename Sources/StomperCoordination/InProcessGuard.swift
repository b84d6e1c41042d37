/// A `ResourceGuard` for one process: per-resource mutexes with FIFO waiters, cancellable waits
/// bounded by the class's maximum wait, and a monotonic fencing counter.
///
/// Only mutual exclusion inside this process is guaranteed; leases do not survive the process.
public final class InProcessGuard: ResourceGuard {
    private let table = MutexTable()
    private let policy: CoordinationPolicy

    public init(policy: CoordinationPolicy = CoordinationPolicy()) {
        self.policy = policy
    }

    public func withResources<T: Sendable>(
        _ resources: [ResourceDescriptor], mode: OperationMode,
        _ body: @Sendable (LeaseGrant) async throws -> T
    ) async throws -> T {
        let ordered = Array(Set(resources)).sorted()
        var held: [(ResourceDescriptor, UInt64)] = []
        do {
            for resource in ordered {
                let id = try await table.acquire(resource, maxWait: policy[resource.resourceClass].maxWait(mode))
                held.append((resource, id))
            }
        } catch {
            for (resource, id) in held.reversed() { await table.release(resource, id: id) }
            throw error
        }
        let token = await table.nextToken()
        do {
            let result = try await body(.unfenced(token: token))
            for (resource, id) in held.reversed() { await table.release(resource, id: id) }
            return result
        } catch {
            for (resource, id) in held.reversed() { await table.release(resource, id: id) }
            throw error
        }
    }

    /// How many resources are held right now (for tests and introspection).
    public func heldCount() async -> Int { await table.heldCount() }
}

/// Drives `KeyedMutexStateMachine` for async callers.
actor MutexTable {
    private var machine = KeyedMutexStateMachine()
    private var continuations: [UInt64: CheckedContinuation<Void, any Error>] = [:]
    private var nextID: UInt64 = 0
    private var token: UInt64 = 0

    func nextToken() -> FencingToken {
        token += 1
        return FencingToken(token)
    }

    func heldCount() -> Int { machine.heldKeys }

    /// Waits for the resource; throws `ResourceBusy` after `maxWait`, `CancellationError` if the
    /// task is cancelled. Returns the waiter id that now holds the key.
    func acquire(_ resource: ResourceDescriptor, maxWait: Duration, holder: LeaseHolder? = nil) async throws -> UInt64 {
        nextID += 1
        let id = nextID
        let key = resource.description
        if machine.acquire(key, by: id) == .granted { return id }
        let start = ContinuousClock.now
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.wait(id: id, key: key) }
                group.addTask {
                    try await Task.sleep(for: maxWait)
                    throw CoordinationError(
                        .resourceBusy, resource: resource,
                        message: "another task of this process kept the resource longer than the maximum wait",
                        holder: holder, waited: ContinuousClock.now - start, maxWait: maxWait)
                }
                defer { group.cancelAll() }
                try await group.next()
            }
            return id
        } catch {
            // Lost the race against a grant: give the key back so the next waiter can go.
            if machine.cancel(key, waiter: id) == .alreadyGranted { release(resource, id: id) }
            throw error
        }
    }

    private func wait(id: UInt64, key: String) async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                if machine.holder(of: key) == id {
                    continuation.resume()
                } else if Task.isCancelled {
                    _ = machine.cancel(key, waiter: id)
                    continuation.resume(throwing: CancellationError())
                } else {
                    continuations[id] = continuation
                }
            }
        } onCancel: {
            Task { await self.cancelWait(id: id, key: key) }
        }
    }

    private func cancelWait(id: UInt64, key: String) {
        guard let continuation = continuations.removeValue(forKey: id) else { return }
        switch machine.cancel(key, waiter: id) {
        case .failWaiter, .none:
            continuation.resume(throwing: CancellationError())
        case .alreadyGranted:
            continuation.resume()
        }
    }

    func release(_ resource: ResourceDescriptor, id: UInt64) {
        switch machine.release(resource.description, by: id) {
        case .none:
            break
        case .resume(let next):
            continuations.removeValue(forKey: next)?.resume()
        }
    }
}
