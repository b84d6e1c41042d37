import Dispatch
import Foundation

/// A fixed number of detached worktrees, leased one job at a time and recycled between jobs.
///
/// Creating a worktree is a full checkout (seconds on a large repository); resetting one to a new
/// base touches only what the previous job changed (milliseconds). So slots are created lazily,
/// at most `capacity` of them, and reused until `close()`. A job that finds no idle slot starts a
/// creation and then takes whichever comes first: that new slot or one another job gives back. So
/// short jobs flow through the first slots while the others are still being checked out, and the
/// pool only reaches `capacity` when jobs really overlap. Leftovers of a crashed run are removed
/// when the pool opens. Slots live under `.git/stomper/worktrees/`, outside the main working tree.
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

    /// Creating a worktree is a full checkout, bound by the kernel's file writes: many at once on a
    /// small machine thrash (reference §2: width 4 gave +25 % over 1, width 8 was slower than 1).
    /// So creations, unlike recycling, run at most two at a time, on these two queues.
    private static let creationQueues = [DispatchQueue(label: "stomper.worktree-creation.0"),
                                         DispatchQueue(label: "stomper.worktree-creation.1")]

    private var idle: [Slot] = []
    /// Jobs waiting for a slot, first come first served.
    private var waiters: [CheckedContinuation<Slot, any Error>] = []
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

    /// Hands a slot to the first waiting job, or keeps it idle.
    private func giveBack(_ slot: Slot) {
        leased -= 1
        if waiters.isEmpty {
            idle.append(slot)
        } else {
            waiters.removeFirst().resume(returning: slot)
        }
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
                if slots < capacity && creating <= waiters.count { startCreation(at: base) }
                slot = try await withCheckedThrowingContinuation { waiters.append($0) }
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
            if !waiters.isEmpty && creating < waiters.count { startCreation(at: base) }
            throw error
        }
        slot.base = base
        slot.fresh = false
        return slot
    }

    /// Creates one more slot at `base` on a creation queue; it goes to the first waiting job.
    private func startCreation(at base: ObjectID) {
        let name = WorktreeSlots.prefix + runTag + "-\(created)"
        let queue = Self.creationQueues[created % Self.creationQueues.count]
        created += 1
        slots += 1
        creating += 1
        names.append(name)
        let repository = self.repository
        let watch = watchChanges
        let indexFile = gitDirectory(name) + "/index"
        queue.async {
            let result = Result { () throws -> Slot in
                let path = try WorktreeSlots.create(in: repository, name: name, at: base)
                let watcher = watch ? ChangeWatcher.start(root: path) : nil
                watcher?.reset()
                return Slot(name: name, path: path, base: base, watcher: watcher, indexStamp: FileStamp(indexFile), fresh: true)
            }
            Task { await self.finishCreation(result) }
        }
    }

    /// A new slot goes to the first waiting job (or idle). A failed creation fails the first
    /// waiting job with its error: every waiting job has a creation or a held slot to wait for,
    /// and this one's creation is gone.
    private func finishCreation(_ result: Result<Slot, any Error>) {
        creating -= 1
        switch result {
        case .success(let slot):
            if waiters.isEmpty {
                idle.append(slot)
            } else {
                waiters.removeFirst().resume(returning: slot)
            }
        case .failure(let error):
            slots -= 1
            if !waiters.isEmpty { waiters.removeFirst().resume(throwing: error) }
        }
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
