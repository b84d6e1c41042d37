/// A bounded wait that ran out: names what was awaited and for how long.
public struct WaitTimedOut: Error, CustomStringConvertible {
    public let what: String
    public let timeout: Duration
    public var description: String { "timed out after \(timeout) waiting for \(what)" }
}

/// Waits until `condition` holds, checking again each time the other tasks have had a turn
/// (`Task.yield`), and throws `WaitTimedOut` naming `what` after `timeout`.
///
/// For a state another task of this process reaches without announcing it (a writer's queue
/// length, a pool's waiting leases): no sleep, yet a bug that never reaches it fails the test
/// with a message instead of hanging it.
public func waitUntil(
    _ what: String, timeout: Duration = .seconds(60),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    var checks = 0
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw WaitTimedOut(what: what, timeout: timeout) }
        checks += 1
        // Yielding alone can starve the work waited for: Swift's tasks and Dispatch's queues share
        // one thread per core here, and a waiter of higher priority that only yields is picked
        // again before a lower-priority item (a writer's queue) runs. After a few yields the waiter
        // gives its thread up for a millisecond; the deadline still bounds the wait.
        if checks < 16 { await Task.yield() } else { try await Task.sleep(for: .milliseconds(1)) }
    }
}

/// Checks `condition` every `interval` until it holds; throws `WaitTimedOut` naming `what` after
/// `timeout`.
///
/// Only for state another *process* makes true (its ledger rows, its files), which nothing here
/// can be told about; within this process, wait for an event or use `waitUntil`.
public func pollUntil(
    _ what: String, every interval: Duration = .milliseconds(20), timeout: Duration = .seconds(120),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw WaitTimedOut(what: what, timeout: timeout) }
        try await Task.sleep(for: interval)
    }
}
