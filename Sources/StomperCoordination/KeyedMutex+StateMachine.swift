/// The pure logic of a table of per-key mutexes with FIFO waiters. No threads, no time: each
/// event returns what the driver must do, so every interleaving can be tested directly.
struct KeyedMutexStateMachine {
    typealias WaiterID = UInt64

    enum AcquireAction: Equatable {
        /// The key was free: the caller holds it now.
        case granted
        /// The key is held: the caller must wait for `.resume` from a later release.
        case wait
    }

    enum ReleaseAction: Equatable {
        /// Nobody was waiting; the key is free.
        case none
        /// Ownership passed to this waiter; resume it.
        case resume(WaiterID)
    }

    enum CancelAction: Equatable {
        /// The waiter was still queued and is removed; fail its wait.
        case failWaiter
        /// The waiter already owns the key (it was granted concurrently); it must release it.
        case alreadyGranted
        /// Unknown waiter: nothing to do.
        case none
    }

    private var holders: [String: WaiterID] = [:]
    private var queues: [String: [WaiterID]] = [:]

    mutating func acquire(_ key: String, by id: WaiterID) -> AcquireAction {
        if holders[key] == nil {
            holders[key] = id
            return .granted
        }
        queues[key, default: []].append(id)
        return .wait
    }

    mutating func release(_ key: String, by id: WaiterID) -> ReleaseAction {
        precondition(holders[key] == id, "released a key it does not hold")
        guard var queue = queues[key], !queue.isEmpty else {
            holders[key] = nil
            queues[key] = nil
            return .none
        }
        let next = queue.removeFirst()
        queues[key] = queue.isEmpty ? nil : queue
        holders[key] = next
        return .resume(next)
    }

    mutating func cancel(_ key: String, waiter id: WaiterID) -> CancelAction {
        if holders[key] == id { return .alreadyGranted }
        guard var queue = queues[key], let position = queue.firstIndex(of: id) else { return .none }
        queue.remove(at: position)
        queues[key] = queue.isEmpty ? nil : queue
        return .failWaiter
    }

    func holder(of key: String) -> WaiterID? { holders[key] }
    var heldKeys: Int { holders.count }
    func waiting(on key: String) -> Int { queues[key]?.count ?? 0 }
}
