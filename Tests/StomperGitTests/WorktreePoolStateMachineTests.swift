@testable import StomperGit
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct WorktreePoolStateMachineTests {
    typealias Machine = WorktreePoolStateMachine<String>
    typealias Delivery = Machine.Delivery
    let t0 = ContinuousClock.now

    func at(_ seconds: Int) -> ContinuousClock.Instant { t0 + .seconds(seconds) }

    /// A machine whose one slot ("a") exists, is in use by lease 0, and took 10 s to create.
    func machineWithOneSlotInUse(capacity: Int) -> Machine {
        var machine = Machine(capacity: capacity)
        #expect(machine.lease(0, now: t0) == .create(.create(index: 0)))
        #expect(machine.creationFinished(.create(index: 0), took: .seconds(10)) == [])
        return machine
    }

    /// The first lease creates at once; the next ones wait — untimed until the first checkout
    /// says how long one takes, then as long as it took — and one that waited that long creates
    /// the next slot. Past the capacity, leasing is refused.
    @Test func theFirstLeaseCreatesAndTheNextWaitForAsLongAsACreationTakes() {
        var machine = Machine(capacity: 2)
        #expect(machine.lease(1, now: t0) == .create(.create(index: 0)))
        #expect(machine.lease(2, now: t0) == .wait(patience: nil))
        #expect(machine.lease(3, now: t0) == .fail(.overCapacity))
        #expect(machine.creationFinished(.create(index: 0), took: .seconds(4)) == [Delivery(lease: 2, instruction: .wait(patience: .seconds(4)))])
        #expect(machine.patienceRanOut(2) == [Delivery(lease: 2, instruction: .create(.create(index: 1)))])
        #expect(machine.creationFinished(.create(index: 1), took: .seconds(5)) == [])
        #expect(machine.slots == 2 && machine.created == 2 && machine.creationTime == .seconds(5))
        // Full: returned slots are reused, never created again.
        #expect(machine.returned("a", now: at(1)) == [])
        #expect(machine.lease(4, now: at(1)) == .use("a"))
    }

    /// Kept worktrees are taken over at once, up to the capacity, before any checkout.
    @Test func keptWorktreesAreTakenOverAtOnceUpToTheCapacity() {
        var machine = Machine(capacity: 3)
        machine.keptClaimed(2)
        #expect(machine.lease(1, now: t0) == .create(.takeOver))
        #expect(machine.lease(2, now: t0) == .create(.takeOver))
        #expect(machine.lease(3, now: t0) == .wait(patience: nil))
        #expect(machine.creationFinished(.takeOver, took: nil) == [])
        #expect(machine.takenOver == 1 && machine.created == 0 && machine.kept == 0)
    }

    /// A returned slot goes to the oldest waiter; once the waiters served since the last creation
    /// have waited as long as a creation takes, together, the next waiter creates one more.
    @Test func aReturnedSlotGoesToTheOldestWaiter() {
        var machine = machineWithOneSlotInUse(capacity: 4)
        #expect(machine.lease(1, now: at(1)) == .wait(patience: .seconds(10)))
        #expect(machine.lease(2, now: at(2)) == .wait(patience: .seconds(10)))
        #expect(machine.lease(3, now: at(3)) == .wait(patience: .seconds(10)))
        #expect(machine.returned("a", now: at(5)) == [Delivery(lease: 1, instruction: .use("a"))])
        // Waited 4 s + 7 s = 11 s ≥ 10 s: buying a slot now pays.
        #expect(
            machine.returned("a", now: at(9)) == [
                Delivery(lease: 2, instruction: .use("a")), Delivery(lease: 3, instruction: .create(.create(index: 1))),
            ])
        #expect(machine.waitingCount == 0 && machine.slots == 2 && machine.leased == 2)
        // A patience timer that fires after its lease was served changes nothing.
        #expect(machine.patienceRanOut(1) == [])
    }

    /// A cancelled waiter leaves the queue and the slot goes to the next; one cancelled after a
    /// slot was delivered hands it back. No slot is lost and the lease count comes back to zero.
    @Test func cancellingAWaiterNeverLosesASlot() {
        var machine = machineWithOneSlotInUse(capacity: 3)
        _ = machine.lease(1, now: at(1))
        _ = machine.lease(2, now: at(1))
        #expect(machine.cancel(1) == .removed)
        #expect(!machine.isWaiting(1))
        #expect(machine.returned("a", now: at(2)) == [Delivery(lease: 2, instruction: .use("a"))])
        // Lease 2 was cancelled as the slot reached it: it gives it back.
        #expect(machine.cancel(2) == .notWaiting)
        #expect(machine.returned("a", now: at(2)) == [])
        #expect(machine.leased == 0 && machine.idleCount == 1 && machine.slots == 1)
        #expect(machine.cancel(99) == .notWaiting)
    }

    /// A lease cancelled before starting the creation it was ordered passes it to the oldest
    /// waiter; with none, the slot is not created (and a kept worktree stays available).
    @Test func anAbandonedCreationGoesToTheNextWaiter() {
        var machine = machineWithOneSlotInUse(capacity: 3)
        _ = machine.lease(1, now: at(1))
        _ = machine.lease(2, now: at(1))
        #expect(machine.patienceRanOut(1) == [Delivery(lease: 1, instruction: .create(.create(index: 1)))])
        #expect(machine.abandoned(.create(index: 1)) == [Delivery(lease: 2, instruction: .create(.create(index: 1)))])
        #expect(machine.leased == 2 && machine.slots == 2 && machine.creating == 1)
        #expect(machine.abandoned(.create(index: 1)) == [])
        #expect(machine.leased == 1 && machine.slots == 1 && machine.creating == 0)

        var keeping = Machine(capacity: 2)
        keeping.keptClaimed(1)
        #expect(keeping.lease(1, now: t0) == .create(.takeOver))
        #expect(keeping.abandoned(.takeOver) == [])
        #expect(keeping.kept == 1 && keeping.slots == 0 && keeping.leased == 0)
    }

    /// A failed checkout with no slot left fails its lease and every waiter; with slots left,
    /// its lease waits first in line. A kept worktree that cannot be taken over is replaced by a
    /// checkout for the same lease.
    @Test func aFailedCreationFailsOrReplans() {
        var machine = Machine(capacity: 3)
        _ = machine.lease(1, now: t0)
        _ = machine.lease(2, now: t0)
        let (creator, deliveries) = machine.creationFailed(.create(index: 0), by: 1, now: at(1))
        #expect(creator == .fail(.creationFailed))
        #expect(deliveries == [Delivery(lease: 2, instruction: .fail(.creationFailed))])
        #expect(machine.leased == 0 && machine.slots == 0 && machine.waitingCount == 0)
        // The next lease tries again.
        #expect(machine.lease(3, now: at(2)) == .create(.create(index: 1)))

        var growing = machineWithOneSlotInUse(capacity: 3)
        _ = growing.lease(1, now: at(1))
        _ = growing.lease(2, now: at(2))
        #expect(growing.patienceRanOut(2) == [Delivery(lease: 2, instruction: .create(.create(index: 1)))])
        let replan = growing.creationFailed(.create(index: 1), by: 2, now: at(20))
        #expect(replan.creator == .wait(patience: nil) && replan.deliveries == [])
        // Lease 2 is first in line now, ahead of lease 1.
        #expect(growing.returned("a", now: at(21)) == [Delivery(lease: 2, instruction: .use("a"))])

        // A slot that came back while the creation ran serves its lease at once.
        var returning = machineWithOneSlotInUse(capacity: 2)
        _ = returning.lease(1, now: at(1))
        _ = returning.patienceRanOut(1)
        #expect(returning.returned("a", now: at(12)) == [])
        let served = returning.creationFailed(.create(index: 1), by: 1, now: at(13))
        #expect(served.creator == .use("a") && served.deliveries == [])
        #expect(returning.idleCount == 0 && returning.waitingCount == 0 && returning.slots == 1)

        var keeping = Machine(capacity: 2)
        keeping.keptClaimed(1)
        #expect(keeping.lease(1, now: t0) == .create(.takeOver))
        let takeover = keeping.creationFailed(.takeOver, by: 1, now: t0)
        #expect(takeover.creator == .create(.create(index: 0)) && takeover.deliveries == [])
        #expect(keeping.slots == 1 && keeping.creating == 1 && keeping.leased == 1)
    }

    /// A slot that cannot be reset is dropped; when it was the last, the oldest waiter creates one.
    @Test func aBrokenLastSlotHasTheOldestWaiterCreateOne() {
        var machine = machineWithOneSlotInUse(capacity: 3)
        _ = machine.lease(1, now: at(1))
        _ = machine.lease(2, now: at(1))
        #expect(machine.returned("a", now: at(2)) == [Delivery(lease: 1, instruction: .use("a"))])
        #expect(machine.broken() == [Delivery(lease: 2, instruction: .create(.create(index: 1)))])
        #expect(machine.slots == 1 && machine.leased == 1)
    }

    /// Shutting down fails every waiter and refuses new leases; slots still in use come back idle.
    @Test func shutDownFailsEveryWaiter() {
        var machine = machineWithOneSlotInUse(capacity: 3)
        _ = machine.lease(1, now: at(1))
        _ = machine.lease(2, now: at(1))
        #expect(
            machine.shutDown() == [
                Delivery(lease: 1, instruction: .fail(.shutDown)), Delivery(lease: 2, instruction: .fail(.shutDown)),
            ])
        #expect(machine.lease(3, now: at(2)) == .fail(.shutDown))
        #expect(machine.patienceRanOut(1) == [])
        #expect(machine.returned("a", now: at(3)) == [])
        #expect(machine.leased == 0 && machine.idleCount == 1)
    }

    /// Random interleavings of every input, driven like the actor drives the machine: whatever
    /// happens, each lease is in exactly one place (holding a slot, creating one, waiting, or
    /// done), no slot is lost or handed out twice, and the capacity holds.
    @Test(arguments: 0..<20) func noInterleavingLosesASlotOrALease(seed: UInt64) {
        var random = SeededGenerator(state: seed)
        let capacity = Int.random(in: 1...4, using: &random)
        var machine = Machine(capacity: capacity)
        machine.keptClaimed(Int.random(in: 0...2, using: &random))
        var holding: [Int: String] = [:]
        var creating: [Int: Machine.Creation] = [:]
        var waiting: Set<Int> = []
        var nextLease = 0
        var nextSlot = 0
        var now = t0

        func apply(_ id: Int, _ instruction: Machine.Instruction) {
            waiting.remove(id)
            switch instruction {
            case .use(let slot):
                #expect(!holding.values.contains(slot), "slot \(slot) handed out twice")
                holding[id] = slot
            case .create(let creation): creating[id] = creation
            case .wait: waiting.insert(id)
            case .fail: break
            }
        }
        func deliver(_ deliveries: [Delivery]) {
            for delivery in deliveries {
                #expect(waiting.contains(delivery.lease), "delivered to lease \(delivery.lease), which is not waiting")
                apply(delivery.lease, delivery.instruction)
            }
        }

        for _ in 0..<200 {
            now += .milliseconds(Int.random(in: 0...3000, using: &random))
            switch Int.random(in: 0..<8, using: &random) {
            case 0, 1:
                nextLease += 1
                apply(nextLease, machine.lease(nextLease, now: now))
            case 2:
                if let (id, slot) = holding.randomElement(using: &random) {
                    holding[id] = nil
                    deliver(machine.returned(slot, now: now))
                }
            case 3:
                if let (id, creation) = creating.randomElement(using: &random) {
                    creating[id] = nil
                    nextSlot += 1
                    deliver(machine.creationFinished(creation, took: .seconds(Int.random(in: 1...5, using: &random))))
                    holding[id] = "s\(nextSlot)"
                }
            case 4:
                if let (id, creation) = creating.randomElement(using: &random) {
                    creating[id] = nil
                    let (next, deliveries) = machine.creationFailed(creation, by: id, now: now)
                    apply(id, next)
                    deliver(deliveries)
                }
            case 5:
                if let id = waiting.randomElement(using: &random) {
                    deliver(machine.patienceRanOut(id))
                }
            case 6:
                // Cancellation of a waiter, or of a lease ordered to create before it started.
                if Bool.random(using: &random), let id = waiting.randomElement(using: &random) {
                    #expect(machine.cancel(id) == .removed)
                    waiting.remove(id)
                } else if let (id, creation) = creating.randomElement(using: &random) {
                    #expect(machine.cancel(id) == .notWaiting)
                    creating[id] = nil
                    deliver(machine.abandoned(creation))
                }
            default:
                if let (id, _) = holding.randomElement(using: &random), Int.random(in: 0..<4, using: &random) == 0 {
                    holding[id] = nil
                    deliver(machine.broken())
                }
            }
            #expect(machine.leased == holding.count + creating.count + waiting.count)
            #expect(machine.leased <= capacity)
            #expect(machine.waitingCount == waiting.count)
            #expect(machine.slots == holding.count + creating.count + machine.idleCount)
            #expect(machine.creating == creating.count)
            #expect(machine.slots <= capacity)
            // Nobody waits while a slot lies idle.
            #expect(machine.idleCount == 0 || waiting.isEmpty)
        }
        deliver(machine.shutDown())
        #expect(waiting.isEmpty && machine.waitingCount == 0)
    }
}
