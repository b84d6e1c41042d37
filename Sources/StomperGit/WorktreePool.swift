import Dispatch
import Foundation

/// A fixed number of detached worktrees, leased one job at a time and recycled between jobs.
///
/// Creating a worktree is a full checkout (seconds on a large repository); resetting one to a new
/// base touches only what the previous job changed (milliseconds). So slots are created lazily,
/// at most `capacity` of them, and reused until `close()`.
///
/// How far the pool grows is rent-or-buy: a job that finds no idle slot waits for one to come
/// back, and one more slot is created once waiting has cost as much as a creation takes — one
/// job having waited that long, or the jobs served since the last creation having waited that
/// long together; the waiting job then takes whichever slot comes first. The first slot is
/// created at once. So jobs that hold a worktree for long (real agents) soon get a slot each,
/// while short jobs flow through the slots that exist instead of waiting for full checkouts —
/// which, on a large repository, also slow every other file operation while they run.
///
/// Slots live under `.git/stomper/worktrees/`, outside the main working tree; a process holds an
/// exclusive `flock` on each slot it uses, which the kernel drops however the process ends. With
/// `keep`, `close()` leaves the slots on disk and a later pool takes them over (`prepare()`):
/// taking one over is a status scan and a reset of what differs, not a checkout. Without it,
/// `close()` removes them and `prepare()` removes any that no running process holds.
public actor WorktreePool {
    public let repository: GitRepository
    public let capacity: Int

    private struct Slot: Sendable {
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

    /// Whether slots watch their files with inotify (on Linux) instead of scanning them.
    private let watchChanges: Bool
    /// Whether `close()` leaves the slots for a later pool.
    public let keep: Bool
    /// Slots an earlier pool left, claimed by `prepare()` and not taken over yet.
    private var kept: [(name: String, lock: Int32)] = []
    /// Slots that failed to reset: removed by `close()` even when keeping.
    private var dropped: Set<String> = []
    /// The lock of every slot created or being taken over, by name: the slots `close()` handles.
    private var locks: [String: Int32] = [:]
    private var adopted = 0
    /// `close()` calls waiting for the creations and takeovers under way to finish.
    private var closing: [CheckedContinuation<Void, Never>] = []

    /// Creating a worktree is a full checkout, bound by the kernel's file writes: several at once
    /// on a small machine barely add throughput (reference §2: width 4 gave +25 % over 1, width 8
    /// was slower than 1) and each finishes later. Jobs start as soon as the first slot exists, so
    /// creations run one at a time, on this queue: the first is ready soonest.
    private static let creationQueue = DispatchQueue(label: "stomper.worktree-creation")

    private var idle: [Slot] = []
    private struct Waiter {
        var id: Int
        var base: ObjectID
        var since: ContinuousClock.Instant
        var continuation: CheckedContinuation<Slot, any Error>
    }

    /// Jobs waiting for a slot, first come first served.
    private var waiters: [Waiter] = []
    private var nextWaiter = 0
    /// How long the last creation took (nil before the first finished): how long a job waits for
    /// a slot to come back before it has one created.
    private var creationTime: Duration?
    /// Waiting jobs whose wait starts counting when the first creation tells how long one takes.
    private var untimed: [(id: Int, base: ObjectID)] = []
    /// What jobs served since the last creation started waited, together.
    private var waited: Duration = .zero
    /// Leases held or waited for: never more than `capacity`.
    private var leased = 0
    /// Slots that exist or are being created.
    private var slots = 0
    private var creating = 0
    private var created = 0
    private let runTag: String

    /// - Parameters:
    ///   - watchChanges: learn what each job wrote from inotify (Linux) rather than by scanning
    ///     the worktree; the result is the same, the cost follows the job instead of the
    ///     repository's size. Scans are used whenever the watcher cannot be sure.
    ///   - keep: leave the worktrees on disk at `close()` for the next pool to take over.
    public init(repository: GitRepository, capacity: Int, watchChanges: Bool = true, keep: Bool = false) {
        precondition(capacity > 0, "a worktree pool needs at least one slot")
        self.repository = repository
        self.capacity = capacity
        self.watchChanges = watchChanges
        self.keep = keep
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
        return Preparation(removed: removed, kept: claimed.count)
    }

    /// How many worktrees the pool has created so far (at most `capacity`).
    public var worktreesCreated: Int { created }

    /// How many kept worktrees the pool has taken over so far.
    public var worktreesTakenOver: Int { adopted }

    /// Runs `body` with a worktree reset to `base`, then returns the worktree to the pool.
    ///
    /// At most `capacity` leases may be held at once; asking for more is an error, not a wait,
    /// because the caller (the pipeline) already bounds how many jobs are in flight.
    @discardableResult
    public func withWorktree<T: Sendable>(
        at base: ObjectID, _ body: (Worktree) async throws -> T
    ) async throws -> T {
        var slot = try await lease(at: base)
        do {
            let result = try await body(Worktree(name: slot.name, path: slot.path, base: base, watcher: slot.watcher,
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
        leased -= 1
        hand(slot)
    }

    /// Gives `slot` to the first waiting job, or keeps it idle.
    private func hand(_ slot: Slot) {
        if waiters.isEmpty {
            idle.append(slot)
            return
        }
        let waiter = waiters.removeFirst()
        waiter.continuation.resume(returning: slot)
        waited += ContinuousClock.now - waiter.since
        if let creationTime, waited >= creationTime, let next = waiters.first { grow(waiter: next.id, at: next.base) }
    }

    private func lease(at base: ObjectID) async throws -> Slot {
        guard leased < capacity else {
            throw GitError(.worktree, "all \(capacity) worktrees of the pool are in use")
        }
        leased += 1
        var slot: Slot
        do {
            if let available = idle.popLast() {
                slot = available
            } else {
                let id = nextWaiter
                nextWaiter += 1
                if slots == 0 || (slots < capacity && !kept.isEmpty) {
                    addSlot(at: base)
                } else if slots < capacity {
                    growLater(waiter: id, at: base)
                }
                slot = try await withCheckedThrowingContinuation {
                    waiters.append(Waiter(id: id, base: base, since: .now, continuation: $0))
                }
            }
        } catch {
            leased -= 1
            throw error
        }
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
            // The slot is in an unknown state: drop it (close() removes it) and let a waiting job
            // have a new one instead.
            leased -= 1
            slots -= 1
            dropped.insert(slot.name)
            if slots == 0 && !waiters.isEmpty { addSlot(at: base) }
            throw error
        }
        slot.base = base
        slot.fresh = false
        return slot
    }

    /// Has a slot created for the waiting job `id` if it is still waiting once it has waited as
    /// long as a creation takes.
    private func growLater(waiter id: Int, at base: ObjectID) {
        guard let creationTime else {
            untimed.append((id, base))
            return
        }
        Task {
            try? await Task.sleep(for: creationTime)
            self.grow(waiter: id, at: base)
        }
    }

    private func grow(waiter id: Int, at base: ObjectID) {
        guard waiters.contains(where: { $0.id == id }), slots < capacity, creating < waiters.count else { return }
        waited = .zero
        addSlot(at: base)
    }

    /// One more slot for the first waiting job: a kept one taken over when there is one (quick),
    /// a new one created otherwise.
    private func addSlot(at base: ObjectID) {
        if kept.isEmpty { startCreation(at: base) } else { startTakeover(at: base) }
    }

    /// Takes over a kept slot for the first waiting job: a status scan and a reset to `base` of
    /// what differs, off the creation queue (it is quick, and need not wait behind a checkout).
    /// A kept slot that cannot be reset is removed and a new one created instead.
    private func startTakeover(at base: ObjectID) {
        let (name, lock) = kept.removeFirst()
        slots += 1
        creating += 1
        locks[name] = lock
        let repository = self.repository
        let watch = watchChanges
        let path = WorktreeSlots.directory(of: repository) + "/" + name
        let indexFile = gitDirectory(name) + "/index"
        Task {
            let result: Result<Slot, any Error>
            do {
                result = .success(try await BlockingIO.run { () throws -> Slot in
                    try WorktreeSlots.reset(path: path, to: base, from: nil)
                    let watcher = watch ? ChangeWatcher.start(root: path) : nil
                    watcher?.reset()
                    return Slot(name: name, path: path, base: base, watcher: watcher, indexStamp: FileStamp(indexFile),
                                fresh: true, lock: lock)
                })
            } catch {
                result = .failure(error)
            }
            self.finishTakeover(result, name: name, at: base)
        }
    }

    private func finishTakeover(_ result: Result<Slot, any Error>, name: String, at base: ObjectID) {
        creating -= 1
        defer { wakeClosing() }
        switch result {
        case .success(let slot):
            adopted += 1
            hand(slot)
        case .failure:
            slots -= 1
            dropped.insert(name)
            if slots < capacity && !waiters.isEmpty {
                addSlot(at: base)
            }
        }
    }

    /// Creates one more slot at `base` on the creation queue; it goes to the first waiting job.
    private func startCreation(at base: ObjectID) {
        let name = WorktreeSlots.prefix + runTag + "-\(created)"
        created += 1
        slots += 1
        creating += 1
        let repository = self.repository
        let watch = watchChanges
        let indexFile = gitDirectory(name) + "/index"
        Self.creationQueue.async {
            let start = ContinuousClock.now
            let result = Result { () throws -> Slot in
                guard let lock = try WorktreeSlots.claim(repository, name: name) else {
                    throw GitError(.worktree, "another process holds the lock of new worktree \(name)")
                }
                do {
                    let path = try WorktreeSlots.create(in: repository, name: name, at: base)
                    let watcher = watch ? ChangeWatcher.start(root: path) : nil
                    watcher?.reset()
                    return Slot(name: name, path: path, base: base, watcher: watcher, indexStamp: FileStamp(indexFile),
                                fresh: true, lock: lock)
                } catch {
                    WorktreeSlots.removeLeftovers(repository: repository, name: name)
                    WorktreeSlots.release(lock)
                    throw error
                }
            }
            let took = ContinuousClock.now - start
            Task { await self.finishCreation(result, took: took) }
        }
    }

    /// A new slot goes to the first waiting job (or idle). When a creation fails and no slot is
    /// left to come back, the waiting jobs fail with its error; otherwise they wait for the slots
    /// there are.
    private func finishCreation(_ result: Result<Slot, any Error>, took: Duration) {
        creating -= 1
        defer { wakeClosing() }
        switch result {
        case .success(let slot):
            creationTime = took
            locks[slot.name] = slot.lock
            hand(slot)
        case .failure(let error):
            slots -= 1
            if slots == 0 {
                let failed = waiters
                waiters = []
                for waiter in failed { waiter.continuation.resume(throwing: error) }
            }
        }
        let pending = untimed
        untimed = []
        for (id, base) in pending { growLater(waiter: id, at: base) }
    }

    private func wakeClosing() {
        guard creating == 0 else { return }
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
        while creating > 0 { await withCheckedContinuation { closing.append($0) } }
        let repository = self.repository
        // Every slot created or taken over holds a lock (a failed creation removed its own leftovers).
        let removing = keep ? locks.keys.filter { dropped.contains($0) } : Array(locks.keys)
        let locks = self.locks
        let unused = kept
        idle = []
        kept = []
        self.locks = [:]
        _ = try? await BlockingIO.run {
            for name in removing { WorktreeSlots.remove(repository: repository, name: name) }
            for lock in locks.values { WorktreeSlots.release(lock) }
            for (_, lock) in unused { WorktreeSlots.release(lock) }
        }
    }
}
