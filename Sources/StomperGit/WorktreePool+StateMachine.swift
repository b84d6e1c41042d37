/// The decisions of `WorktreePool`, without threads, libgit2 or clocks: which lease gets which
/// slot, which lease creates one, who waits and for how long before asking for one more. Each
/// input returns what the driver must do, so every interleaving can be tested directly; time
/// comes in as arguments.
///
/// Invariants, kept by every method:
/// - `leased` counts the leases using a slot, creating one, or waiting: never above `capacity`.
/// - `slots` counts the slots that exist or are being created: every one is idle, in use, or
///   being created by the lease that ordered it; a lease given up returns or passes on what it
///   had, so none is lost.
/// - A lease that creates a slot uses it itself: it paid for the checkout.
///
/// Growth is rent-or-buy (see `WorktreePool`): the first slot is created at once; a lease that
/// finds no idle slot waits, and has one created once it has waited as long as a creation takes
/// (`patienceRanOut`), or once the leases served since the last creation waited that long
/// together (`returned`).
struct WorktreePoolStateMachine<Slot> {
    typealias LeaseID = Int

    /// How a new slot comes to exist.
    enum Creation: Hashable, Sendable {
        /// Take over a worktree an earlier pool kept: a status scan and a reset, quick.
        case takeOver
        /// Check out a new worktree; `index` is unique in the pool and names it.
        case create(index: Int)
    }

    /// Why a lease fails without a slot.
    enum Refusal: Hashable, Sendable {
        /// `capacity` leases are already held or waited for: the caller bounds its jobs.
        case overCapacity
        /// The pool was shut down.
        case shutDown
        /// A creation failed and no slot is left to come back.
        case creationFailed
    }

    /// What a lease must do next.
    enum Instruction {
        /// Use this slot (reset it to the lease's base first unless it is already there).
        case use(Slot)
        /// Create a slot and use it; report `creationFinished`, `creationFailed` or `abandoned`.
        case create(Creation)
        /// Wait for a delivery; after `patience` (if any) report `patienceRanOut`.
        case wait(patience: Duration?)
        case fail(Refusal)
    }

    /// An instruction for a lease that is waiting.
    struct Delivery {
        var lease: LeaseID
        var instruction: Instruction
    }

    enum CancelAction: Hashable, Sendable {
        /// The lease was still waiting and left the queue.
        case removed
        /// The lease is no longer waiting: a delivery for it is under way; undo it (`returned`
        /// for a slot, `abandoned` for a creation).
        case notWaiting
    }

    private enum Phase { case open, shutDown }

    private struct Waiter {
        var id: LeaseID
        var since: ContinuousClock.Instant
        /// Waits without patience until the first creation tells how long one takes.
        var untimed: Bool
    }

    let capacity: Int
    private var phase = Phase.open
    private var idle: [Slot] = []
    /// First come, first served.
    private var waiters: [Waiter] = []
    /// Kept worktrees claimed and not taken over yet.
    private(set) var kept = 0
    private(set) var leased = 0
    private(set) var slots = 0
    private(set) var creating = 0
    /// Worktrees checked out, and kept ones taken over, so far.
    private(set) var created = 0
    private(set) var takenOver = 0
    private var nextIndex = 0
    /// How long the last checkout took (nil before the first finished).
    private(set) var creationTime: Duration?
    /// What the leases served since the last creation started waited, together.
    private var waited: Duration = .zero

    /// How long a lease waits before it has a slot created, when fixed (tests); nil: as long as
    /// the last checkout took.
    private let fixedPatience: Duration?

    init(capacity: Int, patience: Duration? = nil) {
        precondition(capacity > 0, "a worktree pool needs at least one slot")
        self.capacity = capacity
        self.fixedPatience = patience
    }

    /// How long waiting may cost before buying a slot is worth it (nil: not known yet).
    var patience: Duration? { fixedPatience ?? creationTime }

    var idleCount: Int { idle.count }
    var waitingCount: Int { waiters.count }
    func isWaiting(_ id: LeaseID) -> Bool { waiters.contains { $0.id == id } }

    /// `count` more kept worktrees may be taken over instead of created.
    mutating func keptClaimed(_ count: Int) {
        kept += count
    }

    mutating func lease(_ id: LeaseID, now: ContinuousClock.Instant) -> Instruction {
        guard phase == .open else { return .fail(.shutDown) }
        guard leased < capacity else { return .fail(.overCapacity) }
        leased += 1
        if let slot = idle.popLast() { return .use(slot) }
        if slots == 0 || (slots < capacity && kept > 0) { return .create(startCreation()) }
        let growable = slots < capacity
        waiters.append(Waiter(id: id, since: now, untimed: growable && patience == nil))
        return .wait(patience: growable ? patience : nil)
    }

    /// The lease `id` has waited as long as a creation takes: it creates a slot, unless it has
    /// one already or the pool is full.
    mutating func patienceRanOut(_ id: LeaseID) -> [Delivery] {
        guard phase == .open, slots < capacity, let position = waiters.firstIndex(where: { $0.id == id }) else { return [] }
        waiters.remove(at: position)
        waited = .zero
        return [Delivery(lease: id, instruction: .create(startCreation()))]
    }

    /// A lease is done with its slot (or gives up one it was handed): the oldest waiter gets it.
    mutating func returned(_ slot: Slot, now: ContinuousClock.Instant) -> [Delivery] {
        leased -= 1
        guard phase == .open, !waiters.isEmpty else {
            idle.append(slot)
            return []
        }
        let first = waiters.removeFirst()
        waited += now - first.since
        var deliveries = [Delivery(lease: first.id, instruction: .use(slot))]
        if let patience, waited >= patience, slots < capacity, let next = waiters.first {
            waiters.removeFirst()
            waited = .zero
            deliveries.append(Delivery(lease: next.id, instruction: .create(startCreation())))
        }
        return deliveries
    }

    /// The creation a lease was ordered to make finished; the lease uses the slot. `took`: how
    /// long a checkout took (takeovers do not tell).
    mutating func creationFinished(_ creation: Creation, took: Duration?) -> [Delivery] {
        creating -= 1
        switch creation {
        case .takeOver: takenOver += 1
        case .create: created += 1
        }
        if let took { creationTime = took }
        guard let patience else { return [] }
        var deliveries: [Delivery] = []
        for index in waiters.indices where waiters[index].untimed {
            waiters[index].untimed = false
            deliveries.append(Delivery(lease: waiters[index].id, instruction: .wait(patience: patience)))
        }
        return deliveries
    }

    /// The creation the lease `id` made failed. The lease takes a slot that came back meanwhile;
    /// otherwise a kept worktree that cannot be taken over is replaced by another creation for
    /// the same lease. A failed checkout fails the lease and
    /// every waiter when no slot is left to come back; otherwise the lease waits, first in line.
    mutating func creationFailed(
        _ creation: Creation, by id: LeaseID, now: ContinuousClock.Instant
    ) -> (creator: Instruction, deliveries: [Delivery]) {
        creating -= 1
        slots -= 1
        // A slot came back meanwhile: it serves the lease, with no wait and no other creation.
        if phase == .open, let slot = idle.popLast() { return (.use(slot), []) }
        if case .takeOver = creation, phase == .open {
            return (.create(startCreation()), [])
        }
        if slots > 0 && phase == .open {
            waiters.insert(Waiter(id: id, since: now, untimed: false), at: 0)
            return (.wait(patience: nil), [])
        }
        let failed = waiters
        waiters = []
        leased -= 1 + failed.count
        let refusal = phase == .open ? Refusal.creationFailed : .shutDown
        return (.fail(refusal), failed.map { Delivery(lease: $0.id, instruction: .fail(refusal)) })
    }

    /// A lease ordered to create a slot gave up (cancelled) before starting: the oldest waiter
    /// creates it instead, or, with none, it is not created.
    mutating func abandoned(_ creation: Creation) -> [Delivery] {
        leased -= 1
        if phase == .open, !waiters.isEmpty {
            let next = waiters.removeFirst()
            return [Delivery(lease: next.id, instruction: .create(creation))]
        }
        creating -= 1
        slots -= 1
        if case .takeOver = creation { kept += 1 }
        return []
    }

    /// A slot could not be reset for its lease and is dropped; the lease fails. With no slot left,
    /// the oldest waiter creates a new one.
    mutating func broken() -> [Delivery] {
        leased -= 1
        slots -= 1
        guard phase == .open, slots == 0, !waiters.isEmpty else { return [] }
        let next = waiters.removeFirst()
        return [Delivery(lease: next.id, instruction: .create(startCreation()))]
    }

    /// A waiting lease was cancelled.
    mutating func cancel(_ id: LeaseID) -> CancelAction {
        guard let position = waiters.firstIndex(where: { $0.id == id }) else { return .notWaiting }
        waiters.remove(at: position)
        leased -= 1
        return .removed
    }

    /// No lease is granted from now on; waiters fail. Slots in use and creations under way finish
    /// normally.
    mutating func shutDown() -> [Delivery] {
        phase = .shutDown
        kept = 0
        let failed = waiters
        waiters = []
        leased -= failed.count
        return failed.map { Delivery(lease: $0.id, instruction: .fail(.shutDown)) }
    }

    private mutating func startCreation() -> Creation {
        slots += 1
        creating += 1
        if kept > 0 {
            kept -= 1
            return .takeOver
        }
        defer { nextIndex += 1 }
        return .create(index: nextIndex)
    }
}

extension WorktreePoolStateMachine.Instruction: Sendable where Slot: Sendable {}
extension WorktreePoolStateMachine.Instruction: Equatable where Slot: Equatable {}
extension WorktreePoolStateMachine.Delivery: Sendable where Slot: Sendable {}
extension WorktreePoolStateMachine.Delivery: Equatable where Slot: Equatable {}
