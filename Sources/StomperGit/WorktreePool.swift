import Foundation
import Synchronization

/// A fixed number of detached worktrees, leased one job at a time and recycled between jobs.
///
/// Creating a worktree is a full checkout (seconds on a large repository); resetting one to a new
/// base touches only what the previous job changed (milliseconds). So slots are created lazily,
/// at most `capacity` of them, and reused until `close()`.
///
/// How far the pool grows is rent-or-buy: a job that finds no idle slot waits for one to come
/// back, and one more slot is created once waiting has cost as much as a creation takes — one
/// job having waited that long, or the jobs served since the last creation having waited that
/// long together; the job that waited creates it and uses it. The first slot is created at once.
/// So jobs that hold a worktree for long (real agents) soon get a slot each,
/// while short jobs flow through the slots that exist instead of waiting for full checkouts —
/// which, on a large repository, also slow every other file operation while they run.
///
/// Slots live under `.git/stomper/worktrees/`, outside the main working tree; a process holds an
/// exclusive `flock` on each slot it uses, which the kernel drops however the process ends. With
/// `keep`, `close()` leaves the slots on disk and a later pool takes them over (`prepare()`):
/// taking one over is a status scan and a reset of what differs, not a checkout. Without it,
/// `close()` removes them and `prepare()` removes any that no running process holds.
///
/// Every decision is `WorktreePoolStateMachine`'s; the actor performs them (libgit2 work, done by
/// the lease that needs it; deliveries to waiting leases). A lease waiting for a slot can be
/// cancelled: it throws `CancellationError` and the slot goes to the next job.
public actor WorktreePool {
    public let repository: GitRepository
    public let capacity: Int

    struct Slot: Sendable {
        var name: String
        var path: String
        /// The commit the slot was last reset to.
        var base: ObjectID
        /// Tells what a job wrote, so recycling need not scan (nil: scan).
        var watcher: ChangeWatcher?
        /// The worktree index as the last reset left it.
        var indexStamp: FileStamp?
        /// Just created at `base`, no job has run in it yet.
        var fresh: Bool
        /// The descriptor holding the slot's lock.
        var lock: Int32
    }

    typealias StateMachine = WorktreePoolStateMachine<Slot>

    /// Whether slots watch their files with inotify (on Linux) instead of scanning them.
    private let watchChanges: Bool
    /// Whether `close()` leaves the slots for a later pool.
    public let keep: Bool
    /// Every decision: who gets which slot, who creates one, who waits. The actor performs them.
    private var machine: StateMachine
    /// Where waiting leases get their instructions.
    private let mailbox = Mailbox()
    private var nextLease = 0
    /// Slots an earlier pool left, claimed by `prepare()` and not taken over yet.
    private var kept: [(name: String, lock: Int32)] = []
    /// Slots that failed to reset or be taken over: removed by `close()` even when keeping.
    var dropped: Set<String> = []
    /// The lock of every slot created or being taken over, by name: the slots `close()` handles.
    var locks: [String: Int32] = [:]
    /// Why the last checkout failed: what the leases it leaves without a slot fail with.
    var creationError: (any Error)?
    /// `close()` calls waiting for the creations under way to finish.
    private var closing: [CheckedContinuation<Void, Never>] = []

    /// Creating a worktree is a full checkout, bound by the kernel's file writes: several at once
    /// on a small machine barely add throughput (reference §2: width 4 gave +25 % over 1, width 8
    /// was slower than 1) and each finishes later. Jobs start as soon as the first slot exists, so
    /// checkouts run one at a time, behind this lock (held on a `BlockingIO` thread, never on the
    /// cooperative pool): the first is ready soonest.
    private static let creationLock = Mutex(())

    let runTag: String

    /// Sparse slots not in use (cleared when next used), how many were made, the base trees
    /// read for choosing their files, and whether `close()` ran (no sparse lease after it).
    var idleSparse: [SparseSlot] = []
    var sparseMade = 0
    var sparseTrees: [ObjectID: Task<SparseTree, any Error>] = [:]
    var isClosed = false

    /// - Parameters:
    ///   - watchChanges: learn what each job wrote from inotify (Linux) rather than by scanning
    ///     the worktree; the result is the same, the cost follows the job instead of the
    ///     repository's size. Scans are used whenever the watcher cannot be sure.
    ///   - keep: leave the worktrees on disk at `close()` for the next pool to take over.
    public init(repository: GitRepository, capacity: Int, watchChanges: Bool = true, keep: Bool = false) {
        self.init(repository: repository, capacity: capacity, watchChanges: watchChanges, keep: keep, patience: nil)
    }

    /// - Parameter patience: how long a lease waits for a slot before it has one created; nil:
    ///   as long as the last checkout took (tests fix it to keep a lease waiting).
    init(repository: GitRepository, capacity: Int, watchChanges: Bool, keep: Bool, patience: Duration?) {
        precondition(capacity > 0, "a worktree pool needs at least one slot")
        self.repository = repository
        self.capacity = capacity
        self.watchChanges = watchChanges
        self.keep = keep
        self.machine = StateMachine(capacity: capacity, patience: patience)
        self.runTag = "\(getpid())-\(UInt32.random(in: 0...UInt32.max) & 0xffffff)"
    }

    /// What `prepare()` found: worktrees removed, and how many kept ones the pool will take over.
    public struct Preparation: Sendable, Equatable {
        public var removed: [String]
        public var kept: Int
        public init(removed: [String], kept: Int) {
            self.removed = removed
            self.kept = kept
        }
    }

    /// Looks at the pool worktrees no running process holds (an earlier run kept them, or
    /// crashed). Keeping, the pool claims up to `capacity` of them to take over instead of
    /// creating new ones, and removes broken ones; otherwise it removes them all.
    public func prepare() async throws -> Preparation {
        let repository = self.repository
        if !keep {
            return Preparation(removed: try await BlockingIO.run { WorktreeSlots.removeStale(in: repository) }, kept: 0)
        }
        let limit = capacity - kept.count
        let (claimed, removed) = try await BlockingIO.run { WorktreeSlots.claimUnused(in: repository, limit: limit) }
        kept += claimed
        machine.keptClaimed(claimed.count)
        return Preparation(removed: removed, kept: claimed.count)
    }

    /// How many worktrees the pool has created so far (at most `capacity`).
    public var worktreesCreated: Int { machine.created }

    /// How many kept worktrees the pool has taken over so far.
    public var worktreesTakenOver: Int { machine.takenOver }

    /// Leases waiting for a slot (for tests).
    var waitingLeases: Int { machine.waitingCount }

    /// Runs `body` with a worktree reset to `base`, then returns the worktree to the pool.
    ///
    /// At most `capacity` leases may be held at once; asking for more is an error, not a wait,
    /// because the caller (the pipeline) already bounds how many jobs are in flight.
    @discardableResult
    public func withWorktree<T: Sendable>(
        at base: ObjectID, _ body: (Worktree) async throws -> T
    ) async throws -> T {
        try await withFullWorktree(at: base, body)
    }

    func withFullWorktree<T: Sendable>(
        at base: ObjectID, _ body: (Worktree) async throws -> T
    ) async throws -> T {
        var slot = try await lease(at: base)
        do {
            let result = try await body(
                Worktree(
                    name: slot.name, path: slot.path, base: base, watcher: slot.watcher,
                    indexStamp: slot.indexStamp, gitDirectory: gitDirectory(slot.name)))
            slot.base = base
            giveBack(slot)
            return result
        } catch {
            slot.base = base
            giveBack(slot)
            throw error
        }
    }

    /// A job is done with its slot.
    private func giveBack(_ slot: Slot) {
        perform(machine.returned(slot, now: .now))
    }

    private func perform(_ deliveries: [StateMachine.Delivery]) {
        for delivery in deliveries {
            if case .fail(let refusal) = delivery.instruction {
                mailbox.deliver(.failure(error(refusal)), to: delivery.lease)
            } else {
                mailbox.deliver(.success(delivery.instruction), to: delivery.lease)
            }
        }
    }

    private func error(_ refusal: StateMachine.Refusal) -> any Error {
        switch refusal {
        case .overCapacity: GitError(.worktree, "all \(capacity) worktrees of the pool are in use")
        case .shutDown: GitError(.worktree, "the worktree pool is closed")
        case .creationFailed: creationError ?? GitError(.worktree, "creating a worktree failed")
        }
    }

    /// Follows the state machine's instructions until the lease has a slot reset to `base`.
    /// Cancelled while waiting or creating, it leaves the queue, passes on whatever it was handed,
    /// and throws `CancellationError`.
    private func lease(at base: ObjectID) async throws -> Slot {
        let id = nextLease
        nextLease += 1
        var instruction = machine.lease(id, now: .now)
        while true {
            switch instruction {
            case .use(let slot):
                return try await recycle(slot, at: base)
            case .fail(let refusal):
                throw error(refusal)
            case .create(let creation):
                guard !Task.isCancelled else {
                    perform(machine.abandoned(creation))
                    throw CancellationError()
                }
                instruction = try await make(creation, for: id, at: base)
                if Task.isCancelled, case .use(let slot) = instruction {
                    giveBack(slot)
                    throw CancellationError()
                }
            case .wait(let patience):
                do {
                    instruction = try await waitForInstruction(id, patience: patience)
                } catch {
                    withdraw(id, holding: nil)
                    throw error
                }
                if Task.isCancelled {
                    withdraw(id, holding: instruction)
                    throw CancellationError()
                }
            }
        }
    }

    /// Waits for the next instruction for lease `id`; once `patience` has passed, tells the state
    /// machine (which may answer with an order to create a slot).
    private func waitForInstruction(_ id: Int, patience: Duration?) async throws -> StateMachine.Instruction {
        let mailbox = self.mailbox
        guard let patience else { return try await mailbox.receive(id) }
        return try await withThrowingTaskGroup(of: StateMachine.Instruction?.self) { group in
            group.addTask { try await mailbox.receive(id) }
            group.addTask {
                do { try await Task.sleep(for: patience) } catch { return nil }
                await self.patienceRanOut(id)
                return nil
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let next { return next }
            }
            preconditionFailure("a wait for an instruction ended without one")
        }
    }

    private func patienceRanOut(_ id: Int) {
        perform(machine.patienceRanOut(id))
    }

    /// A cancelled lease leaves the queue; what the pool handed it meanwhile goes to the next.
    private func withdraw(_ id: Int, holding received: StateMachine.Instruction?) {
        if machine.cancel(id) == .removed {
            mailbox.discard(id)
            return
        }
        switch received ?? mailbox.take(id) {
        case .use(let slot)?: giveBack(slot)
        case .create(let creation)?: perform(machine.abandoned(creation))
        case .wait?, .fail?, nil: break
        }
    }

    /// Makes the slot the state machine ordered, for lease `id`; returns the lease's next
    /// instruction (`.use` on success).
    private func make(_ creation: StateMachine.Creation, for id: Int, at base: ObjectID) async throws -> StateMachine.Instruction {
        defer { wakeClosing() }
        let repository = self.repository
        let watch = watchChanges
        switch creation {
        case .takeOver:
            // A status scan and a reset to `base` of what differs: quick, so not behind the lock.
            let (name, lock) = kept.removeFirst()
            locks[name] = lock
            let path = WorktreeSlots.directory(of: repository) + "/" + name
            let indexFile = gitDirectory(name) + "/index"
            do {
                let slot = try await BlockingIO.run { () throws -> Slot in
                    try WorktreeSlots.reset(path: path, to: base, from: nil)
                    let watcher = watch ? ChangeWatcher.start(root: path) : nil
                    watcher?.reset()
                    return Slot(
                        name: name, path: path, base: base, watcher: watcher, indexStamp: FileStamp(indexFile),
                        fresh: true, lock: lock)
                }
                perform(machine.creationFinished(.takeOver, took: nil))
                return .use(slot)
            } catch {
                dropped.insert(name)
                let (next, deliveries) = machine.creationFailed(.takeOver, by: id, now: .now)
                perform(deliveries)
                return next
            }
        case .create(let index):
            let name = WorktreeSlots.prefix + runTag + "-\(index)"
            let indexFile = gitDirectory(name) + "/index"
            do {
                let (slot, took) = try await BlockingIO.run { () throws -> (Slot, Duration) in
                    try Self.creationLock.withLock { _ in
                        let start = ContinuousClock.now
                        guard let lock = try WorktreeSlots.claim(repository, name: name) else {
                            throw GitError(.worktree, "another process holds the lock of new worktree \(name)")
                        }
                        do {
                            let path = try WorktreeSlots.create(in: repository, name: name, at: base)
                            let watcher = watch ? ChangeWatcher.start(root: path) : nil
                            watcher?.reset()
                            let slot = Slot(
                                name: name, path: path, base: base, watcher: watcher,
                                indexStamp: FileStamp(indexFile), fresh: true, lock: lock)
                            return (slot, ContinuousClock.now - start)
                        } catch {
                            WorktreeSlots.removeLeftovers(repository: repository, name: name)
                            WorktreeSlots.release(lock)
                            throw error
                        }
                    }
                }
                locks[name] = slot.lock
                perform(machine.creationFinished(creation, took: took))
                return .use(slot)
            } catch {
                creationError = error
                let (next, deliveries) = machine.creationFailed(creation, by: id, now: .now)
                perform(deliveries)
                return next
            }
        }
    }

    /// Brings a slot handed to a lease to `base`. A slot that cannot be reset is in an unknown
    /// state: it is dropped (`close()` removes it) and the lease fails.
    private func recycle(_ handed: Slot, at base: ObjectID) async throws -> Slot {
        var slot = handed
        if slot.fresh && slot.base == base {
            slot.fresh = false
            return slot
        }
        let path = slot.path
        let previous = slot.base
        let watcher = slot.watcher
        let indexFile = gitDirectory(slot.name) + "/index"
        let untouchedIndex = slot.indexStamp != nil && FileStamp(indexFile) == slot.indexStamp
        do {
            slot.indexStamp = try await BlockingIO.run { () throws -> FileStamp? in
                var observed: Set<String>?
                if untouchedIndex, case .paths(let paths) = watcher?.observe() { observed = paths }
                try WorktreeSlots.reset(path: path, to: base, from: previous, observed: observed)
                watcher?.reset()
                return FileStamp(indexFile)
            }
        } catch {
            dropped.insert(slot.name)
            perform(machine.broken())
            throw error
        }
        slot.base = base
        slot.fresh = false
        return slot
    }

    private func wakeClosing() {
        guard machine.creating == 0 else { return }
        let waiting = closing
        closing = []
        for continuation in waiting { continuation.resume() }
    }

    private func gitDirectory(_ name: String) -> String {
        repository.commonDir + "/worktrees/" + name
    }

    /// Removes every worktree this pool created or took over — or, keeping, leaves those in a
    /// known state on disk for a later pool — and lets go of their locks. Waits for creations
    /// still under way (a slot being created for a job that got another one meanwhile), so that
    /// none finishes after the pool is closed. Safe to call more than once.
    public func close() async {
        isClosed = true
        idleSparse = []
        perform(machine.shutDown())
        while machine.creating > 0 { await withCheckedContinuation { closing.append($0) } }
        let repository = self.repository
        // Every slot created or taken over holds a lock (a failed creation removed its own leftovers).
        let removing = keep ? locks.keys.filter { dropped.contains($0) } : Array(locks.keys)
        let locks = self.locks
        let unused = kept
        kept = []
        self.locks = [:]
        _ = try? await BlockingIO.run {
            for name in removing { WorktreeSlots.remove(repository: repository, name: name) }
            for lock in locks.values { WorktreeSlots.release(lock) }
            for (_, lock) in unused { WorktreeSlots.release(lock) }
        }
    }
}
