@testable import StomperCoordination
import Synchronization
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct KeyedMutexStateMachineTests {
    @Test func grantsQueuesInOrderAndHandsOver() {
        var machine = KeyedMutexStateMachine()
        #expect(machine.acquire("a", by: 1) == .granted)
        #expect(machine.acquire("a", by: 2) == .wait)
        #expect(machine.acquire("a", by: 3) == .wait)
        #expect(machine.acquire("b", by: 4) == .granted)
        #expect(machine.release("a", by: 1) == .resume(2))
        #expect(machine.holder(of: "a") == 2)
        #expect(machine.release("a", by: 2) == .resume(3))
        #expect(machine.release("a", by: 3) == .none)
        #expect(machine.holder(of: "a") == nil)
    }

    @Test func cancellingAWaiterRemovesItFromTheQueue() {
        var machine = KeyedMutexStateMachine()
        _ = machine.acquire("a", by: 1)
        _ = machine.acquire("a", by: 2)
        _ = machine.acquire("a", by: 3)
        #expect(machine.cancel("a", waiter: 2) == .failWaiter)
        #expect(machine.waiting(on: "a") == 1)
        #expect(machine.release("a", by: 1) == .resume(3))
        #expect(machine.cancel("a", waiter: 3) == .alreadyGranted)
        #expect(machine.cancel("a", waiter: 99) == .none)
    }
}

@Suite(.tags(.unit), .timeLimit(.minutes(5))) struct InProcessGuardTests {
    /// Records how many holders each key has at every instant.
    final class Occupancy: Sendable {
        private let state = Mutex<(current: [String: Int], worst: Int)>(([:], 0))
        func enter(_ keys: [String]) {
            state.withLock { state in
                for key in keys {
                    state.current[key, default: 0] += 1
                    state.worst = max(state.worst, state.current[key]!)
                }
            }
        }
        func leave(_ keys: [String]) {
            state.withLock { state in for key in keys { state.current[key, default: 0] -= 1 } }
        }
        var worst: Int { state.withLock { $0.worst } }
    }

    /// Many tasks take random overlapping sets of keys (in random order): all finish (no deadlock)
    /// and no key ever has two holders.
    @Test func overlappingResourceSetsNeverShareAMutexAndNeverDeadlock() async throws {
        let resourceGuard = InProcessGuard()
        let occupancy = Occupancy()
        var generator = SystemRandomNumberGenerator()
        let sets: [[ResourceDescriptor]] = (0..<200).map { _ in
            (0..<Int.random(in: 1...4, using: &generator)).map { _ in .file("f\(Int.random(in: 0..<6, using: &generator)).py") }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for resources in sets {
                group.addTask {
                    try await resourceGuard.withResources(resources, mode: .batch) { _ in
                        let keys = Array(Set(resources.map(\.key)))
                        occupancy.enter(keys)
                        await Task.yield()
                        occupancy.leave(keys)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(occupancy.worst == 1)
        #expect(await resourceGuard.heldCount() == 0)
    }

    @Test func aWaiterGivesUpWithResourceBusyAfterTheMaximumWait() async throws {
        let resourceGuard = InProcessGuard()
        let (entered, enteredContinuation) = AsyncStream.makeStream(of: Void.self)
        let (release, releaseContinuation) = AsyncStream.makeStream(of: Void.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await resourceGuard.withResources([.file("a.py")], mode: .interactive) { _ in
                    enteredContinuation.yield()
                    for await _ in release { break }
                }
            }
            for await _ in entered { break }
            await #expect {
                try await resourceGuard.withResources([.file("a.py")], mode: .interactive) { _ in }
            } throws: { error in
                guard let error = error as? CoordinationError else { return false }
                return error.code == .resourceBusy && error.resource == .file("a.py")
                    && (error.waited ?? .zero) >= ResourcePolicy.defaults(for: .critCode).maxWait(.interactive)
            }
            releaseContinuation.yield()
            try await group.waitForAll()
        }
        #expect(await resourceGuard.heldCount() == 0)
    }

    @Test func fencingTokensIncrease() async throws {
        let resourceGuard = InProcessGuard()
        let first = try await resourceGuard.withResources([.file("a")], mode: .batch) { $0.token }
        let second = try await resourceGuard.withResources([.file("b")], mode: .batch) { $0.token }
        #expect(first < second)
    }

    @Test func resourcesAreReleasedWhenTheBodyThrows() async throws {
        struct Boom: Error {}
        let resourceGuard = InProcessGuard()
        await #expect(throws: Boom.self) {
            try await resourceGuard.withResources([.file("a"), .file("b")], mode: .batch) { _ in throw Boom() }
        }
        #expect(await resourceGuard.heldCount() == 0)
    }
}
