import Dispatch
import Foundation

/// A fixed number of detached worktrees, leased one job at a time and recycled between jobs.
///
/// Creating a worktree is a full checkout (seconds on a large repository); resetting one to a new
/// base touches only what the previous job changed (milliseconds). So slots are created lazily,
/// at most `capacity` of them, and reused until `close()`. Leftovers of a crashed run are removed
/// when the pool opens. Slots live under `.git/stomper/worktrees/`, outside the main working tree.
public actor WorktreePool {
    public let repository: GitRepository
    public let capacity: Int

    private struct Slot {
        var name: String
        var path: String
        /// The commit the slot was last reset to.
        var base: ObjectID
        /// Tells what a job wrote, so recycling need not scan (nil: scan).
        var watcher: ChangeWatcher?
        /// The worktree index as the last reset left it.
        var indexStamp: FileStamp?
    }

    /// Whether slots watch their files with inotify (on Linux) instead of scanning them.
    private let watchChanges: Bool

    /// Creating a worktree is a full checkout, bound by the kernel's file writes: many at once on a
    /// small machine thrash (reference §2: width 4 gave +25 % over 1, width 8 was slower than 1).
    /// So creations, unlike recycling, run at most two at a time, on these two queues.
    private static let creationQueues = [DispatchQueue(label: "stomper.worktree-creation.0"),
                                         DispatchQueue(label: "stomper.worktree-creation.1")]

    private var idle: [Slot] = []
    private var leased = 0
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
            idle.append(slot)
            leased -= 1
            return result
        } catch {
            slot.base = base
            idle.append(slot)
            leased -= 1
            throw error
        }
    }

    private func lease(at base: ObjectID) async throws -> Slot {
        guard leased < capacity else {
            throw GitError(.worktree, "all \(capacity) worktrees of the pool are in use")
        }
        leased += 1
        do {
            if var slot = idle.popLast() {
                let path = slot.path
                let previous = slot.base
                let watcher = slot.watcher
                let indexFile = gitDirectory(slot.name) + "/index"
                let untouchedIndex = slot.indexStamp != nil && FileStamp(indexFile) == slot.indexStamp
                slot.indexStamp = try await BlockingIO.run { () throws -> FileStamp? in
                    var observed: Set<String>?
                    if untouchedIndex, case .paths(let paths) = watcher?.observe() { observed = paths }
                    try WorktreeSlots.reset(path: path, to: base, from: previous, observed: observed)
                    watcher?.reset()
                    return FileStamp(indexFile)
                }
                slot.base = base
                return slot
            }
            let name = WorktreeSlots.prefix + runTag + "-\(created)"
            created += 1
            names.append(name)
            let repository = self.repository
            let watch = watchChanges
            let indexFile = gitDirectory(name) + "/index"
            return try await withCheckedThrowingContinuation { continuation in
                Self.creationQueues[(created - 1) % Self.creationQueues.count].async {
                    continuation.resume(with: Result {
                        let path = try WorktreeSlots.create(in: repository, name: name, at: base)
                        let watcher = watch ? ChangeWatcher.start(root: path) : nil
                        watcher?.reset()
                        return Slot(name: name, path: path, base: base, watcher: watcher, indexStamp: FileStamp(indexFile))
                    })
                }
            }
        } catch {
            leased -= 1
            throw error
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
