internal import Clibgit2
import Foundation

/// The main working tree and index: waiting for other git processes' locks, the dirty check,
/// writing a landing's paths and putting them back when it fails.
extension BranchWriter {
    /// Waits while another git process holds the main index or the branch ref (`index.lock`,
    /// `refs/heads/<branch>.lock`): a user's `git status` or `git add` beside a run takes them for
    /// milliseconds. Pauses double from 2 ms to 100 ms, for at most `lockWait`; then the lock is
    /// taken for one a process left behind (crashed), the landing fails with `.indexLocked`, and
    /// later landings fail on that same lock file at once instead of waiting again.
    func waitForGitLocks() throws(GitError) {
        let start = ContinuousClock.now
        var pause = Duration.milliseconds(2)
        var announced = false
        while let lock = ["index.lock", refName + ".lock"].first(where: {
            FileManager.default.fileExists(atPath: repository.commonDir + "/" + $0)
        }) {
            let stamp = FileStamp(repository.commonDir + "/" + lock)
            if let stamp, confined.waitedOut.contains(stamp) || ContinuousClock.now - start > lockWait {
                confined.waitedOut.insert(stamp)
                throw GitError(
                    .indexLocked,
                    "\(lock == "index.lock" ? "the main index" : branch) has been locked by another git process "
                        + "for over \(lockWait); if no git command is running, remove .git/\(lock)",
                    path: ".git/" + lock)
            }
            if !announced {
                announced = true
                onLockWait?(repository.commonDir + "/" + lock)
            }
            let (seconds, attoseconds) = pause.components
            usleep(UInt32(seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
            pause = min(pause * 2, .milliseconds(100))
        }
    }

    /// Writes the index, waiting (as `waitForGitLocks`) while another git process took
    /// `index.lock` between the check and the write.
    private func writeIndex(_ index: IndexHandle) throws(GitError) {
        var backoff = LockBackoff(limit: lockWait)
        while true {
            let result = git_index_write(index.pointer)
            if result == GIT_ELOCKED.rawValue, backoff.pause() { continue }
            try LibGit2.check(result, "writing the main index")
            return
        }
    }

    /// A touched path is dirty if the main checkout differs from HEAD there: edited, staged, or
    /// (for a path the patch adds) an untracked file already in the way.
    func isDirty(_ change: PathChange, repo: RepositoryHandle) throws(GitError) -> Bool {
        if change.old == nil {
            var info = stat()
            return lstat(repository.workdir + "/" + change.path, &info) == 0
        }
        return try repo.hasUncommittedChanges(change.path)
    }

    /// Writes the patch's paths into the main working tree and index as a checkout of `commit`
    /// would. On failure, puts back what the branch tip holds (which is what the clean checkout
    /// held) and rethrows.
    func writeCheckout(
        _ repo: RepositoryHandle, _ writes: [(change: PathChange, durable: Bool)], commit: ObjectID,
        tip: ObjectID
    ) throws(GitError) {
        do throws(GitError) {
            try apply(writes.map { ($0.change.path, $0.change.new, $0.durable) }, repo: repo, attributesFrom: commit)
        } catch {
            try restoreCheckout(repo, writes.map(\.change), tip: tip, after: error)
            throw error
        }
    }

    /// Puts back what the tip holds after `failure`; if that fails too, the working tree holds an
    /// unlanded fix, and the error says so and what to do (never swallowed: it could lose work).
    func restoreCheckout(
        _ repo: RepositoryHandle, _ changes: [PathChange], tip: ObjectID,
        after failure: GitError
    ) throws(GitError) {
        do throws(GitError) {
            try restoreCheckout(repo, changes, tip: tip)
        } catch {
            let paths = changes.map(\.path)
            throw GitError(
                .restoreFailed,
                "landing on \(branch) failed (\(failure)) and putting back \(paths.joined(separator: ", ")) failed "
                    + "too (\(error)): the working tree and index may hold the unlanded fix. Check `git status`; "
                    + "if none of the changes there are yours, `git checkout HEAD -- <path>` restores each path",
                path: paths.first, underlying: error)
        }
    }

    func restoreCheckout(_ repo: RepositoryHandle, _ changes: [PathChange], tip: ObjectID) throws(GitError) {
        var states: [(String, PathChange.Content?, Bool)] = []
        for change in changes {
            if let old = change.old {
                states.append((change.path, PathChange.Content(bytes: try repo.blob(old.id), mode: old.mode, id: old.id), false))
            } else {
                states.append((change.path, nil, false))
            }
        }
        try apply(states, repo: repo, attributesFrom: tip)
    }

    /// Writes each state into the main working tree and index as a checkout of `commit` would
    /// (`RepositoryHandle.checkOut`: the blob through the to-worktree filters, the index entry
    /// naming the blob), or removes the path.
    private func apply(
        _ states: [(path: String, content: PathChange.Content?, durable: Bool)],
        repo: RepositoryHandle, attributesFrom commit: ObjectID
    ) throws(GitError) {
        let index = try repo.index()
        // Reloads only if another process rewrote the file since this handle read it: the writer
        // keeps its handle, so the index is parsed once, not once per landing.
        try LibGit2.check(git_index_read(index.pointer, 0), "reading the main index")
        // The user's working tree: a link or file where a folder should be is refused, not replaced.
        let directory = ConfinedDirectory(root: repository.workdir, obstacles: .refuse)
        for state in states {
            if let content = state.content {
                try repo.checkOut(
                    content, at: state.path, in: directory, index: index, attributesFrom: commit,
                    durable: state.durable)
            } else {
                try directory.removeFile(state.path)
                let removed = git_index_remove_bypath(index.pointer, state.path)
                try LibGit2.check(removed, "removing from the index", path: state.path)
            }
        }
        try writeIndex(index)
    }
}

/// Pauses between tries of a write another git process's lock refused: 2 ms doubling to 100 ms,
/// for at most `limit` in all.
struct LockBackoff {
    let limit: Duration
    private let start = ContinuousClock.now
    private var next = Duration.milliseconds(2)
    /// Whether `pause()` has paused at least once.
    private(set) var waited = false

    init(limit: Duration) {
        self.limit = limit
    }

    /// Pauses and returns true, or returns false at once when `limit` has passed.
    mutating func pause() -> Bool {
        guard ContinuousClock.now - start < limit else { return false }
        waited = true
        let (seconds, attoseconds) = next.components
        usleep(UInt32(seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
        next = min(next * 2, .milliseconds(100))
        return true
    }
}
