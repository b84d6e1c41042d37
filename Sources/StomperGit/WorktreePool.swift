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
/// which, on a large repository, also slow every other file operation while they run. Leftovers of a crashed run are removed when the pool opens. Slots
/// live under `.git/stomper/worktrees/`, outside the main working tree.
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
    }

    /// Whether slots watch their files with inotify (on Linux) instead of scanning them.
    private let watchChanges: Bool

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
    private var names: [String] = []
    private let runTag: String

    /// - Parameter watchChanges: learn what each job wrote from inotify (Linux) rather than by
    ///   scanning the worktree; the result is the same, the cost follows the job instead of the
    ///   repository's size. Scans are used whenever the watcher cannot be sure.
    public init(repository: GitRepository, capacity: Int, watchChanges: Bool = true) {
        precondition(capacity > 0, "a worktree pool needs at least one slot")
        self.repository = repository
        self.capacity = capacity
        self.watchChanges = watchChanges
        self.runTag = "\(getpid())-\(UInt32.random(in: 0...UInt32.max) & 0xffffff)"
    }

    /// Removes worktrees left by stomper processes that no longer run. Returns their names.
    public func removeStaleWorktrees() async throws -> [String] {
        let repository = self.repository
        return try await BlockingIO.run { WorktreeSlots.removeStale(in: repository) }
    }

    /// How many worktrees the pool has created so far (at most `capacity`).
    public var worktreesCreated: Int { created }

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
                if slots == 0 {
                    startCreation(at: base)
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
            // The slot is in an unknown state: drop it (close() still removes it) and let a
            // waiting job have a new one instead.
            leased -= 1
            slots -= 1
            if slots == 0 && !waiters.isEmpty { startCreation(at: base) }
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
        startCreation(at: base)
    }

    /// Creates one more slot at `base` on the creation queue; it goes to the first waiting job.
    private func startCreation(at base: ObjectID) {
        let name = WorktreeSlots.prefix + runTag + "-\(created)"
        created += 1
        slots += 1
        creating += 1
        names.append(name)
        let repository = self.repository
        let watch = watchChanges
        let indexFile = gitDirectory(name) + "/index"
        Self.creationQueue.async {
            let start = ContinuousClock.now
            let result = Result { () throws -> Slot in
                let path = try WorktreeSlots.create(in: repository, name: name, at: base)
                let watcher = watch ? ChangeWatcher.start(root: path) : nil
                watcher?.reset()
                return Slot(name: name, path: path, base: base, watcher: watcher, indexStamp: FileStamp(indexFile), fresh: true)
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
        switch result {
        case .success(let slot):
            creationTime = took
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

    private func gitDirectory(_ name: String) -> String {
        repository.commonDir + "/worktrees/" + name
    }

    /// Removes every worktree this pool created. Safe to call more than once.
    public func close() async {
        let repository = self.repository
        let names = self.names
        self.names = []
        idle = []
        _ = try? await BlockingIO.run {
            for name in names { WorktreeSlots.remove(repository: repository, name: name) }
        }
    }
}
