internal import Clibgit2
import Dispatch
import Foundation

/// Author and committer of landed commits.
public struct Signature: Sendable, Hashable {
    public var name: String
    public var email: String
    public init(name: String, email: String) {
        self.name = name
        self.email = email
    }

    /// Used when the repository's git config names nobody.
    public static let fallback = Signature(name: "stomper", email: "stomper@localhost")
}

/// Lands patches on a branch that is checked out in the main working tree, one at a time.
///
/// The order follows reference §P9 so that a failure at any step leaves the repository as it was:
/// 1. build the commit from the branch tip's tree with only the changed blobs (no index, no
///    checkout; modes kept), without moving any ref;
/// 2. write just the touched paths to the main working tree and index;
/// 3. move the branch with compare-and-swap against the tip read in step 1.
/// If step 2 or 3 fails, step 2 is undone; if the branch moved, the patch is rebuilt on the new tip.
///
/// Landings are serialized on a private queue: the main index is one file, and libgit2 handles
/// must not be shared between threads, so each landing opens its own handle on that queue.
public final class BranchWriter: Sendable {
    public let repository: GitRepository
    public let branch: String
    private let queue = DispatchQueue(label: "stomper.branch-writer")
    /// How often a landing is rebuilt when another writer moved the branch in between.
    private let attempts = 5

    public init(repository: GitRepository, branch: String) {
        self.repository = repository
        self.branch = branch
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
    public func land(_ patch: Patch, message: String, author: Signature?, durable: Bool = false,
                     fence: (@Sendable () throws -> Void)? = nil) async throws -> ObjectID {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result {
                    try self.landNow(patch, message: message, author: author, durable: durable, fence: fence)
                })
            }
        }
    }

    private var refName: String { "refs/heads/\(branch)" }

    private func landNow(_ patch: Patch, message: String, author: Signature?, durable: Bool,
                         fence: (() throws -> Void)?) throws -> ObjectID {
        precondition(!patch.isEmpty, "an empty patch must not be landed")
        let repo = try repository.open()
        for _ in 0..<attempts {
            let landed = try LandingLock.withLock(commonDir: repository.commonDir) { () throws -> ObjectID? in
                try fence?()
                return try landOnce(patch, repo: repo, message: message, author: author, durable: durable)
            }
            if let landed { return landed }
        }
        throw GitError(.branchMoved, "the branch \(branch) kept moving while stomper was landing; run stomper again")
    }

    /// One landing attempt. Returns nil when the branch moved between reading its tip and the
    /// compare-and-swap; the checkout has then been restored and the caller may try again.
    private func landOnce(_ patch: Patch, repo: RepositoryHandle, message: String, author: Signature?,
                          durable: Bool) throws(GitError) -> ObjectID? {
        if FileManager.default.fileExists(atPath: repository.commonDir + "/index.lock") {
            throw GitError(.indexLocked,
                           "the main index is locked by another git process; if no git command is running, remove .git/index.lock",
                           path: ".git/index.lock")
        }
        let tip = try currentTip(repo)
        let tipTree = try repo.tree(ofCommit: tip)
        for change in patch.changes {
            guard try tipTree.entry(at: change.path) == change.old else {
                throw GitError(.baseChanged, "the file changed on \(branch) since the run started", path: change.path)
            }
            if try isDirty(change, repo: repo) {
                throw GitError(.uncommittedChanges, "uncommitted changes", path: change.path)
            }
        }
        let commit = try buildCommit(repo, parent: tip, parentTree: tipTree, patch: patch, message: message, author: author)
        try writeCheckout(repo, patch.changes, durable: durable)
        Failpoint.hit("land.checkout")
        if try moveBranch(repo, from: tip, to: commit, message: message) {
            return commit
        }
        try restoreCheckout(repo, patch.changes)
        return nil
    }

    /// The branch tip, after checking that HEAD of the main working tree is still on the branch.
    private func currentTip(_ repo: RepositoryHandle) throws(GitError) -> ObjectID {
        var head: OpaquePointer?
        try LibGit2.check(git_reference_lookup(&head, repo.pointer, "HEAD"), "reading HEAD")
        defer { git_reference_free(head) }
        let target = git_reference_symbolic_target(head).map { String(cString: $0) }
        guard target == refName else {
            throw GitError(.detachedHead,
                           "HEAD of the main working tree is no longer on \(branch); switch back to it or run stomper again")
        }
        var oid = git_oid()
        try LibGit2.check(git_reference_name_to_id(&oid, repo.pointer, refName), "reading \(refName)")
        return ObjectID(oid)
    }

    /// A touched path is dirty if the main checkout differs from HEAD there: edited, staged, or
    /// (for a path the patch adds) an untracked file already in the way.
    private func isDirty(_ change: PathChange, repo: RepositoryHandle) throws(GitError) -> Bool {
        if change.old == nil {
            var info = stat()
            return lstat(repository.workdir + "/" + change.path, &info) == 0
        }
        return try repo.hasUncommittedChanges(change.path)
    }

    private func buildCommit(
        _ repo: RepositoryHandle, parent: ObjectID, parentTree: TreeHandle, patch: Patch, message: String,
        author: Signature?
    ) throws(GitError) -> ObjectID {
        var blobIDs: [git_oid] = []
        for change in patch.changes {
            if let new = change.new {
                blobIDs.append(try repo.writeBlob(new.bytes).oid)
            } else {
                blobIDs.append(git_oid())
            }
        }
        var paths = CStringArray(patch.paths)
        let treeOid = try paths.withPointers { (pointers) throws(GitError) -> git_oid in
            var updates: [git_tree_update] = []
            for (index, change) in patch.changes.enumerated() {
                var update = git_tree_update()
                update.action = change.new == nil ? GIT_TREE_UPDATE_REMOVE : GIT_TREE_UPDATE_UPSERT
                update.id = blobIDs[index]
                update.filemode = (change.new?.mode ?? .regular).gitMode
                update.path = UnsafePointer(pointers[index])
                updates.append(update)
            }
            var treeOid = git_oid()
            try LibGit2.check(git_tree_create_updated(&treeOid, repo.pointer, parentTree.pointer, updates.count, &updates),
                              "building the new tree")
            return treeOid
        }
        let tree = try repo.tree(ObjectID(treeOid))
        let parentCommit = try repo.commit(parent)
        let signature = try makeSignature(repo, author)
        defer { git_signature_free(signature) }
        var parents: [OpaquePointer?] = [parentCommit.pointer]
        var commitOid = git_oid()
        try LibGit2.check(
            git_commit_create(&commitOid, repo.pointer, nil, signature, signature, "UTF-8", message,
                              tree.pointer, 1, &parents),
            "creating the commit")
        return ObjectID(commitOid)
    }

    private func makeSignature(_ repo: RepositoryHandle, _ author: Signature?) throws(GitError) -> UnsafeMutablePointer<git_signature> {
        var signature: UnsafeMutablePointer<git_signature>?
        if author == nil, git_signature_default(&signature, repo.pointer) == 0, let signature {
            return signature
        }
        let chosen = author ?? .fallback
        try LibGit2.check(git_signature_now(&signature, chosen.name, chosen.email), "making the commit signature")
        return signature!
    }

    /// Writes the patch's paths into the main working tree and index. On failure, puts back what
    /// the branch tip holds (which is what the clean checkout held) and rethrows.
    private func writeCheckout(_ repo: RepositoryHandle, _ changes: [PathChange], durable: Bool) throws(GitError) {
        do throws(GitError) {
            try apply(changes.map { ($0.path, $0.new) }, repo: repo, durable: durable)
        } catch {
            try? restoreCheckout(repo, changes)
            throw error
        }
    }

    private func restoreCheckout(_ repo: RepositoryHandle, _ changes: [PathChange]) throws(GitError) {
        var states: [(String, PathChange.Content?)] = []
        for change in changes {
            if let old = change.old {
                states.append((change.path, PathChange.Content(bytes: try repo.blob(old.id), mode: old.mode, id: old.id)))
            } else {
                states.append((change.path, nil))
            }
        }
        try apply(states, repo: repo)
    }

    private func apply(_ states: [(path: String, content: PathChange.Content?)], repo: RepositoryHandle,
                       durable: Bool = false) throws(GitError) {
        let index = try repo.index()
        // Reloads only if another process rewrote the file since this handle read it (the status
        // check of the touched paths already loaded it): one parse of the index per landing.
        try LibGit2.check(git_index_read(index.pointer, 0), "reading the main index")
        for state in states {
            let full = repository.workdir + "/" + state.path
            if let content = state.content {
                try CheckoutFile.write(content, to: full, relativePath: state.path, durable: durable)
                try LibGit2.check(git_index_add_bypath(index.pointer, state.path), "adding to the index", path: state.path)
            } else {
                if unlink(full) != 0 && errno != ENOENT {
                    throw GitError(.io, "cannot delete a file: \(String(cString: strerror(errno)))", path: state.path)
                }
                let removed = git_index_remove_bypath(index.pointer, state.path)
                try LibGit2.check(removed, "removing from the index", path: state.path)
            }
        }
        try LibGit2.check(git_index_write(index.pointer), "writing the main index")
    }

    /// Compare-and-swap of the branch ref. False when the branch no longer points at `old`.
    private func moveBranch(_ repo: RepositoryHandle, from old: ObjectID, to new: ObjectID, message: String) throws(GitError) -> Bool {
        var newOid = new.oid
        var oldOid = old.oid
        var ref: OpaquePointer?
        let firstLine = message.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? message
        let result = git_reference_create_matching(&ref, repo.pointer, refName, &newOid, 1, &oldOid,
                                                   "stomper: \(firstLine)")
        if result == GIT_EMODIFIED.rawValue { return false }
        try LibGit2.check(result, "moving \(refName)")
        git_reference_free(ref)
        return true
    }
}

/// Writes one file of the main working tree atomically: a temporary file in the same folder,
/// then `rename`, so a reader sees the old content or the new one, never a partial file.
enum CheckoutFile {
    static func write(_ content: PathChange.Content, to path: String, relativePath: String, durable: Bool = false) throws(GitError) {
        let folder = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw GitError(.io, "cannot create a folder", path: relativePath, underlying: error)
        }
        let temporary = folder + "/.stomper-\(UInt64.random(in: 0...UInt64.max)).tmp"
        switch content.mode {
        case .symlink:
            let target = String(decoding: content.bytes, as: UTF8.self)
            guard symlink(target, temporary) == 0 else {
                throw GitError(.io, "cannot create a symbolic link: \(String(cString: strerror(errno)))", path: relativePath)
            }
        default:
            let mode: mode_t = content.mode == .executable ? 0o755 : 0o644
            let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
            guard fd >= 0 else {
                throw GitError(.io, "cannot create a file: \(String(cString: strerror(errno)))", path: relativePath)
            }
            var written = 0
            let ok = content.bytes.withUnsafeBytes { buffer -> Bool in
                while written < buffer.count {
                    let n = Foundation.write(fd, buffer.baseAddress! + written, buffer.count - written)
                    if n < 0 { if errno == EINTR { continue }; return false }
                    written += n
                }
                return true
            }
            // Permissions follow the mode, not the umask.
            fchmod(fd, mode)
            let synced = !durable || fsync(fd) == 0
            close(fd)
            guard ok, synced else {
                unlink(temporary)
                throw GitError(.io, "cannot write a file", path: relativePath)
            }
        }
        if durable { Failpoint.hit("docs.write") }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw GitError(.io, "cannot replace a file: \(reason)", path: relativePath)
        }
        if durable {
            // The rename is on disk only once the folder is.
            let folderDescriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if folderDescriptor >= 0 {
                fsync(folderDescriptor)
                close(folderDescriptor)
            }
        }
    }
}
