internal import Clibgit2
import Dispatch
import Foundation
import Synchronization

/// Lands patches on a branch, one commit per patch: the branch checked out in the main working tree
/// (`LandingTarget.checkout`), or only a branch ref (`LandingTarget.branchOnly`: steps 2 and the
/// dirty and HEAD checks are skipped, nothing outside the object store and the ref is written).
///
/// The order follows reference §P9 so that a failure at any step leaves the repository as it was:
/// 1. build the commit from the branch tip's tree with only the changed blobs (no index, no
///    checkout; modes kept), without moving any ref;
/// 2. write just the touched paths to the main working tree and index;
/// 3. move the branch with compare-and-swap against the tip read in step 1.
/// If step 2 or 3 fails, step 2 is undone; if the branch moved, the patch is rebuilt on the new tip.
///
/// Landings are serialized on a private queue: the main index is one file. Patches that arrive
/// while a landing is under way land together next (group commit): still one commit each, each
/// the parent of the next and checked against the tree its predecessor left, but one read and
/// one write of the main index and one move of the branch for all of them. Rewriting the index
/// is the O(repository) part of a landing (reference §2, e2b.b), so under load its cost is shared.
/// A patch that cannot land (fence, base changed, uncommitted changes) fails alone; when the
/// group fails as a whole, its patches are landed one by one so each gets its own outcome.
///
/// Building commits and moving the ref are in `BranchWriter+Refs.swift`; waiting for other git
/// processes' locks and writing the main working tree and index in `BranchWriter+Checkout.swift`.
///
/// The queue keeps one repository handle (libgit2 handles must not be used by two threads at a
/// time; the serial queue guarantees that), so the main index is parsed again only when another
/// process rewrote it.
public final class BranchWriter: Sendable {
    public let repository: GitRepository
    public let target: LandingTarget
    public var branch: String { target.branch }
    private let queue = DispatchQueue(label: "stomper.branch-writer")
    /// Patches waiting for the queue.
    private let pending = Mutex<[Request]>([])
    let confined = QueueConfined()
    /// How often a landing is rebuilt when another writer moved the branch in between.
    private let attempts = 5
    /// The most patches one landing takes: bounds the work undone when a group has to be retried.
    private let groupLimit = 32

    /// Called after the checkout is written and before the branch moves (tests).
    private let beforeBranchMove: (@Sendable () -> Void)?
    /// Called when a landing starts waiting for a git process's lock, with the lock's path (tests).
    let onLockWait: (@Sendable (String) -> Void)?
    /// How long a landing waits for another git process (the user's `git status`, `git add`) to
    /// let go of `index.lock` or the branch's ref lock before failing with `.indexLocked`.
    let lockWait: Duration

    public convenience init(repository: GitRepository, branch: String) {
        self.init(repository: repository, target: .checkout(branch: branch), beforeBranchMove: nil)
    }

    public convenience init(repository: GitRepository, target: LandingTarget) {
        self.init(repository: repository, target: target, beforeBranchMove: nil)
    }

    convenience init(
        repository: GitRepository, branch: String, beforeBranchMove: (@Sendable () -> Void)?,
        onLockWait: (@Sendable (String) -> Void)? = nil, lockWait: Duration = .seconds(5)
    ) {
        self.init(
            repository: repository, target: .checkout(branch: branch), beforeBranchMove: beforeBranchMove,
            onLockWait: onLockWait, lockWait: lockWait)
    }

    init(
        repository: GitRepository, target: LandingTarget, beforeBranchMove: (@Sendable () -> Void)?,
        onLockWait: (@Sendable (String) -> Void)? = nil, lockWait: Duration = .seconds(5)
    ) {
        self.repository = repository
        self.target = target
        self.beforeBranchMove = beforeBranchMove
        self.onLockWait = onLockWait
        self.lockWait = lockWait
    }

    /// Lands `patch` as one commit on the branch and returns the commit id.
    ///
    /// Throws `.uncommittedChanges` if a touched path has uncommitted changes in the main checkout
    /// (nothing is written), `.baseChanged` if the branch changed a touched path since
    /// `patch.base`, `.indexLocked` if another git process holds the index.
    ///
    /// `fence` is called at the start of every landing attempt, inside the critical section that
    /// other stomper processes' landings share (see `LandingLock`), before anything is written:
    /// the caller's fencing-token check. Whatever it throws is rethrown and nothing is written.
    /// With `durable`, each file written to the main working tree is fsynced before its rename and
    /// its folder after (generated docs: a crash leaves the old file or the new one, on disk).
    public func land(
        _ patch: Patch, message: String, author: Signature?, durable: Bool = false,
        fence: (@Sendable () throws -> Void)? = nil
    ) async throws -> ObjectID {
        precondition(!patch.isEmpty, "an empty patch must not be landed")
        return try await withCheckedThrowingContinuation { continuation in
            pending.withLock {
                $0.append(
                    Request(
                        patch: patch, message: message, author: author, durable: durable, fence: fence,
                        continuation: continuation))
            }
            queue.async { self.drain() }
        }
    }

    var refName: String { "refs/heads/\(branch)" }

    /// Landings asked for and not yet taken by the queue (for tests).
    var waiting: Int { pending.withLock { $0.count } }

    /// On the queue: lands whatever is waiting, as one group.
    private func drain() {
        let group = pending.withLock { waiting -> [Request] in
            let taken = Array(waiting.prefix(groupLimit))
            waiting.removeFirst(taken.count)
            return taken
        }
        // Each land() queued a drain: what is left beyond the limit is taken by a later one, and
        // a drain that finds nothing (its request went with an earlier group) returns at once.
        guard !group.isEmpty else { return }
        let results: [Result<ObjectID, any Error>]
        do {
            let repo = try confined.repository(for: repository)
            results = landGroup(group, repo: repo)
        } catch {
            results = group.map { _ in .failure(error) }
        }
        for (request, result) in zip(group, results) { request.continuation.resume(with: result) }
    }

    /// Lands `group`, retrying when the branch moved; one result per request, in order.
    private func landGroup(_ group: [Request], repo: RepositoryHandle) -> [Result<ObjectID, any Error>] {
        var results = [Result<ObjectID, any Error>?](repeating: nil, count: group.count)
        for _ in 0..<attempts {
            let open = group.indices.filter { results[$0] == nil }
            if open.isEmpty { break }
            do {
                // A ref-only landing never writes the index: a stale index.lock is not its to clear.
                let clearing = target.writesCheckout ? ["index.lock", refName + ".lock"] : [refName + ".lock"]
                let moved = try LandingLock.withLock(commonDir: repository.commonDir, clearing: clearing) { () throws -> Bool in
                    try landOnce(open.map { (index: $0, request: group[$0]) }, repo: repo, results: &results)
                }
                if moved { break }
            } catch {
                // The group as a whole failed (the index is locked, HEAD left the branch, a write
                // failed): land its patches one by one, so each gets its own outcome.
                if open.count == 1 {
                    results[open[0]] = .failure(error)
                } else {
                    for index in open { results[index] = landGroup([group[index]], repo: repo)[0] }
                }
                break
            }
        }
        return results.map {
            $0 ?? .failure(GitError(.branchMoved, "the branch \(branch) kept moving while stomper was landing; run stomper again"))
        }
    }

    /// One landing attempt for `members`: each patch that can land becomes a commit on top of the
    /// one before, then all their paths are written and the branch moves once. A patch that cannot
    /// land gets its error in `results` and is left out. Returns false when the branch moved
    /// between reading its tip and the compare-and-swap; the checkout has then been restored and
    /// the members without a result may try again. Throws what fails the group as a whole.
    private func landOnce(
        _ members: [(index: Int, request: Request)], repo: RepositoryHandle,
        results: inout [Result<ObjectID, any Error>?]
    ) throws(GitError) -> Bool {
        if case .branchOnly(_, let startPoint) = target {
            return try landOnRefOnly(members, repo: repo, startPoint: startPoint, results: &results)
        }
        try waitForGitLocks()
        let tip = try currentTip(repo)
        let (built, parent) = try buildChain(members, on: tip, repo: repo, checkingCheckout: true, results: &results)
        if built.isEmpty { return true }
        let landing = Set(built.map(\.index))
        let writes = members.filter { landing.contains($0.index) }
            .flatMap { member in member.request.patch.changes.map { (change: $0, durable: member.request.durable) } }
        try writeCheckout(repo, writes, commit: parent, tip: tip)
        Failpoint.hit("land.checkout")
        beforeBranchMove?()
        let last = members.last { results[$0.index] == nil }!.request
        let message = built.count == 1 ? last.message : "\(built.count) commits, the last: \(last.message)"
        let moved: Bool
        do throws(GitError) {
            moved = try moveBranch(repo, from: tip, to: parent, message: message)
        } catch {
            // The ref is locked or could not be written: the branch did not move, so the
            // checkout must not stay ahead of it.
            try restoreCheckout(repo, writes.map(\.change), tip: tip, after: error)
            throw error
        }
        if moved {
            for (index, commit) in built { results[index] = .success(commit) }
            return true
        }
        try restoreCheckout(repo, writes.map(\.change), tip: tip)
        return false
    }

    /// Builds each member's commit on top of the one before, starting at `tip`, and returns the
    /// commits built and the last one. A member that cannot land (its fence refuses, its file
    /// changed on the branch since its base, or — `checkingCheckout` — the main checkout has
    /// uncommitted changes there) gets its error in `results` and is left out of the chain.
    private func buildChain(
        _ members: [(index: Int, request: Request)], on tip: ObjectID, repo: RepositoryHandle,
        checkingCheckout: Bool, results: inout [Result<ObjectID, any Error>?]
    )
        throws(GitError) -> (built: [(index: Int, commit: ObjectID)], last: ObjectID)
    {
        var parent = tip
        var tree = try repo.tree(ofCommit: tip)
        var built: [(index: Int, commit: ObjectID)] = []
        for (index, request) in members {
            do {
                try request.fence?()
                for change in request.patch.changes {
                    guard try tree.entry(at: change.path) == change.old else {
                        throw GitError(.baseChanged, "the file changed on \(branch) since the run started", path: change.path)
                    }
                    if checkingCheckout, try isDirty(change, repo: repo) {
                        throw GitError(.uncommittedChanges, "uncommitted changes", path: change.path)
                    }
                }
                let (commit, newTree) = try buildCommit(
                    repo, parent: parent, parentTree: tree, patch: request.patch,
                    message: request.message, author: request.author)
                parent = commit
                tree = newTree
                built.append((index, commit))
            } catch {
                results[index] = .failure(error)
            }
        }
        return (built, parent)
    }

    /// `landOnce` for `.branchOnly`: the commits are built on the ref's tip (or `startPoint` when
    /// the branch does not exist yet) and the ref moves with compare-and-swap (created with
    /// force off when missing; someone else creating it first counts as moved). No HEAD check, no
    /// dirty check, no working tree or index write: there is nothing to restore when it fails.
    private func landOnRefOnly(
        _ members: [(index: Int, request: Request)], repo: RepositoryHandle, startPoint: ObjectID,
        results: inout [Result<ObjectID, any Error>?]
    ) throws(GitError) -> Bool {
        let existing = try refTip(repo)
        let tip = existing ?? startPoint
        let (built, parent) = try buildChain(members, on: tip, repo: repo, checkingCheckout: false, results: &results)
        if built.isEmpty { return true }
        Failpoint.hit("land.checkout")
        beforeBranchMove?()
        // Someone may have checked the branch out since the run started (`git switch NAME`):
        // moving the ref under that checkout would make its index and files show the fixes
        // reverted. Checked under the landing lock, which every stomper landing holds.
        if let checkout = repository.worktreeCheckingOut(branch: branch) {
            throw GitError(
                .detachedHead,
                "\(branch) is checked out in \(checkout) now: stomper lands on it only while no "
                    + "working tree has it checked out")
        }
        let last = members.last { results[$0.index] == nil }!.request
        let message = built.count == 1 ? last.message : "\(built.count) commits, the last: \(last.message)"
        let moved =
            existing == nil
            ? try createBranch(repo, at: parent, message: message)
            : try moveBranch(repo, from: tip, to: parent, message: message)
        guard moved else { return false }
        for (index, commit) in built { results[index] = .success(commit) }
        return true
    }
}

/// What `land` was asked, waiting for the writer's queue.
private struct Request: Sendable {
    var patch: Patch
    var message: String
    var author: Signature?
    var durable: Bool
    var fence: (@Sendable () throws -> Void)?
    var continuation: CheckedContinuation<ObjectID, any Error>
}

/// The writer's repository handle, opened on first use. Only ever touched on the writer's serial
/// queue, which is what makes the unchecked `Sendable` true.
final class QueueConfined: @unchecked Sendable {
    private var handle: RepositoryHandle?
    /// Lock files of other processes a landing already waited `lockWait` for: left by a crash.
    var waitedOut: Set<FileStamp> = []

    func repository(for repository: GitRepository) throws(GitError) -> RepositoryHandle {
        if let handle { return handle }
        let opened = try repository.open()
        handle = opened
        return opened
    }
}
