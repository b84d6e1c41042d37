import Foundation
import StomperCoordination
import StomperLedger
import StomperTestSupport
import Synchronization
import Testing

/// A clock tests move by hand.
final class ManualLeaseClock: LeaseClock {
    private let value = Mutex<Int64>(1_000_000)
    func now() -> Int64 { value.withLock { $0 } }
    func advance(milliseconds: Int64) { value.withLock { $0 += milliseconds } }
}

@Suite(.tags(.unit), .timeLimit(.minutes(5))) struct StompGuardTests {
    static func policy(ttl: Int = 30_000, maxWait: Int = 3_000, enforcement: CoordinationPolicy.Enforcement = .enforce) -> CoordinationPolicy {
        var policy = CoordinationPolicy()
        policy.enforcement = enforcement
        for resourceClass in ResourceClass.allCases {
            policy[resourceClass].leaseTTLMilliseconds = ttl
            policy[resourceClass].batchMaxWaitMilliseconds = maxWait
            policy[resourceClass].interactiveMaxWaitMilliseconds = maxWait
        }
        return policy
    }

    static func holder(_ name: String, pid: Int32) -> LeaseHolder { LeaseHolder(id: name, pid: pid, host: "test-host") }

    /// A holder paused past its TTL (an injected clock stands in for the pause): the waiter is
    /// granted a newer token and writes; the paused holder's write is then refused with StaleVersion.
    @Test func aHolderPausedPastItsTTLLosesTheResourceAndItsWriteIsRefused() async throws {
        let store = InMemoryLeaseStore()
        let clock = ManualLeaseClock()
        let paused = StompGuard(store: store, policy: Self.policy(ttl: 1_000), holder: Self.holder("paused", pid: 10), clock: clock)
        let waiter = StompGuard(store: store, policy: Self.policy(ttl: 1_000), holder: Self.holder("waiter", pid: 11), clock: clock)
        let writes = Mutex<[String]>([])
        await #expect {
            try await paused.withResources([.file("a.py")], mode: .batch) { grant in
                clock.advance(milliseconds: 1_001)
                let newer = try await waiter.withResources([.file("a.py")], mode: .batch) { grant in
                    try grant.checkWrite()
                    writes.withLock { $0.append("waiter") }
                    return grant.token
                }
                #expect(newer > grant.token)
                try grant.checkWrite()
                writes.withLock { $0.append("paused") }
            }
        } throws: { error in
            guard let error = error as? CoordinationError else { return false }
            return error.code == .staleVersion && error.resource == .file("a.py")
        }
        #expect(writes.withLock { $0 } == ["waiter"])
        let kinds = store.events.map(\.kind)
        #expect(kinds.contains(.expired))
        #expect(kinds.contains(.stale))
        #expect(try await store.leases().isEmpty)
    }

    @Test func aWaiterGetsResourceBusyNamingTheHolder() async throws {
        let store = InMemoryLeaseStore()
        let holder = StompGuard(store: store, policy: Self.policy(), holder: Self.holder("first", pid: 20))
        let waiter = StompGuard(store: store, policy: Self.policy(maxWait: 30), holder: Self.holder("second", pid: 21))
        _ = try await holder.withResources([.file("a.py")], mode: .batch) { _ in
            await #expect {
                try await waiter.withResources([.file("a.py")], mode: .batch) { _ in }
            } throws: { error in
                guard let error = error as? CoordinationError else { return false }
                return error.code == .resourceBusy && error.holder?.id == "first" && (error.waited ?? .zero) >= .milliseconds(30)
            }
        }
        let busy = store.events.filter { $0.kind == .busy }
        #expect(busy.count == 1)
        #expect(busy.first?.other?.id == "first")
    }

    @Test func aDeadHoldersLeaseIsEvictedWithoutWaitingForItsTTL() async throws {
        let store = InMemoryLeaseStore()
        let dead = StompGuard(store: store, policy: Self.policy(), holder: Self.holder("dead", pid: 30))
        // Simulates a process killed while holding: its lease stays in the store.
        _ = try await store.transaction([.file("a.py")]) { transaction in
            transaction.table.acquire(.file("a.py"), by: dead.holder, ttlMilliseconds: 60_000, now: SystemLeaseClock().now())
        }
        let next = StompGuard(
            store: store, policy: Self.policy(maxWait: 10_000), holder: Self.holder("next", pid: 31),
            isAlive: { $0.pid != 30 })
        let start = ContinuousClock.now
        try await next.withResources([.file("a.py")], mode: .batch) { grant in try grant.checkWrite() }
        #expect(ContinuousClock.now - start < .seconds(5))
        #expect(store.events.contains { $0.kind == .evicted && $0.holder.id == "dead" })
    }

    @Test func observeOnlyNeverBlocksOrRefusesButRecordsWhatItWouldHaveDone() async throws {
        let store = InMemoryLeaseStore()
        let holder = StompGuard(store: store, policy: Self.policy(enforcement: .observe), holder: Self.holder("first", pid: 40))
        let other = StompGuard(
            store: store, policy: Self.policy(maxWait: 10_000, enforcement: .observe),
            holder: Self.holder("second", pid: 41))
        try await holder.withResources([.file("a.py")], mode: .batch) { _ in
            let start = ContinuousClock.now
            try await other.withResources([.file("a.py")], mode: .batch) { grant in try grant.checkWrite() }
            #expect(ContinuousClock.now - start < .seconds(5))
        }
        let kinds = Set(store.events.map(\.kind))
        #expect(kinds.contains(.wouldWait))
        #expect(!kinds.contains(.busy))
    }

    @Test func disabledCoordinationTakesNoLeases() async throws {
        let store = InMemoryLeaseStore()
        var policy = Self.policy()
        policy.enabled = false
        let disabled = StompGuard(store: store, policy: policy, holder: Self.holder("off", pid: 50))
        try await disabled.withResources([.file("a.py"), .docs], mode: .batch) { grant in
            try grant.checkWrite()
            #expect(grant.leases.isEmpty)
            #expect(try await store.leases().isEmpty)
        }
        #expect(store.events.isEmpty)
    }

    @Test func leasesAreReleasedWhenTheTaskIsCancelled() async throws {
        let store = InMemoryLeaseStore()
        let owner = StompGuard(store: store, policy: Self.policy(), holder: Self.holder("owner", pid: 60))
        let (entered, enteredContinuation) = AsyncStream.makeStream(of: Void.self)
        let task = Task {
            try await owner.withResources([.file("a.py"), .file("b.py")], mode: .batch) { _ in
                enteredContinuation.yield()
                // Waits until cancelled.
                let (never, _) = AsyncStream.makeStream(of: Void.self)
                for await _ in never {}
                try Task.checkCancellation()
            }
        }
        for await _ in entered { break }
        #expect(try await store.leases().count == 2)
        task.cancel()
        _ = await task.result
        #expect(try await store.leases().isEmpty)
        #expect(store.events.filter { $0.kind == .released }.count == 2)
    }

    /// Two guards (two holders, as two processes would be) over one ledger database, many tasks
    /// taking random overlapping sets: all finish, and no key ever has two holders.
    @Test func overlappingSetsAcrossHoldersOfOneLedgerNeverOverlapAndNeverDeadlock() async throws {
        try await withTemporaryDirectory { directory in
            let ledger = try Ledger.open(commonDir: directory)
            let store = LedgerLeaseStore(ledger: ledger)
            let guards = (0..<2).map { StompGuard(store: store, policy: Self.policy(maxWait: 60_000), holder: Self.holder("g\($0)", pid: 70)) }
            let occupancy = InProcessGuardTests.Occupancy()
            var generator = SystemRandomNumberGenerator()
            let sets: [(Int, [ResourceDescriptor])] = (0..<80).map { index in
                (index % 2, (0..<Int.random(in: 1...3, using: &generator)).map { _ in .file("f\(Int.random(in: 0..<5, using: &generator))") })
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (owner, resources) in sets {
                    group.addTask {
                        try await guards[owner].withResources(resources, mode: .batch) { grant in
                            let keys = Array(Set(resources.map(\.key)))
                            occupancy.enter(keys)
                            await Task.yield()
                            try grant.checkWrite()
                            occupancy.leave(keys)
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(occupancy.worst == 1)
            #expect(try await store.leases().isEmpty)
            let stats = try await ledger.coordinationStats()
            #expect(stats.classes[.critCode]?.acquisitions == sets.reduce(0) { $0 + Set($1.1).count })
            #expect(stats.classes[.critCode]?.staleRefusals == 0)
        }
    }
}
