internal import Clibgit2
import Foundation
import StomperProcess

/// Creating, recycling and removing the linked worktrees of a pool. Blocking; no state.
enum WorktreeSlots {
    /// Every pool worktree is named `stomper-wt-<pid>-<random>-<slot>`: the owner's pid lets a
    /// later process tell a crashed run's leftovers from a live run's worktrees.
    static let prefix = "stomper-wt-"

    static func directory(of repository: GitRepository) -> String {
        repository.commonDir + "/stomper/worktrees"
    }

    /// The file a process holds an exclusive `flock` on while it uses the worktree `name`. The
    /// kernel lets go of it when the process ends, however it ends: a worktree whose lock can be
    /// taken belongs to nobody (a finished run kept it, or a run crashed).
    static func lockFile(of repository: GitRepository, name: String) -> String {
        directory(of: repository) + "/" + name + ".lock"
    }

    /// Takes the lock of worktree `name` without waiting. Returns the descriptor holding it
    /// (close it to let go), or nil when another process holds it.
    static func claim(_ repository: GitRepository, name: String) throws(GitError) -> Int32? {
        try makeDirectories(repository)
        let path = lockFile(of: repository, name: name)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            throw GitError(.io, "cannot open a worktree lock: \(String(cString: strerror(errno)))", path: path)
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        return descriptor
    }

    /// Lets go of a lock taken by `claim`.
    static func release(_ lock: Int32) {
        close(lock)
    }

    private static func makeDirectories(_ repository: GitRepository) throws(GitError) {
        let parent = directory(of: repository)
        do {
            try FileManager.default.createDirectory(
                atPath: parent, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
            // libgit2 creates `.git/worktrees` without tolerating a concurrent creator: make it first.
            try FileManager.default.createDirectory(
                atPath: repository.commonDir + "/worktrees",
                withIntermediateDirectories: true)
        } catch {
            throw GitError(.io, "cannot create the worktree folder", path: parent, underlying: error)
        }
    }

    /// Creates a detached worktree at `commit`, locked with a reason naming this process. The
    /// caller holds its `claim` already, so no other process takes it for a leftover meanwhile.
    static func create(in repository: GitRepository, name: String, at commit: ObjectID) throws(GitError) -> String {
        let repo = try repository.open()
        try makeDirectories(repository)
        let path = directory(of: repository) + "/" + name
        var options = git_worktree_add_options()
        try LibGit2.check(
            git_worktree_add_options_init(&options, UInt32(GIT_WORKTREE_ADD_OPTIONS_VERSION)),
            "initialising worktree options")
        options.lock = 1
        var worktree: OpaquePointer?
        let added = git_worktree_add(&worktree, repo.pointer, name, path, &options)
        if added < 0 {
            let error = LibGit2.error(added, "creating worktree \(name)", path: path)
            // libgit2 does not roll back a failed add (reference §P7): remove what it left.
            removeLeftovers(repository: repository, name: name)
            throw error
        }
        defer { git_worktree_free(worktree) }
        do throws(GitError) {
            var linked: OpaquePointer?
            try LibGit2.check(git_repository_open_from_worktree(&linked, worktree), "opening worktree \(name)")
            let linkedRepo = RepositoryHandle(linked!)
            // git_worktree_add checked out the main HEAD's commit: what the new worktree holds.
            let checkedOut = try linkedRepo.headCommitID()
            var oid = commit.oid
            try LibGit2.check(git_repository_set_head_detached(linkedRepo.pointer, &oid), "detaching worktree \(name)")
            // git_worktree_add created a branch named after the worktree; it is not wanted.
            var branch: OpaquePointer?
            if git_branch_lookup(&branch, repo.pointer, name, GIT_BRANCH_LOCAL) == 0 {
                defer { git_reference_free(branch) }
                try LibGit2.check(git_branch_delete(branch), "deleting the temporary branch \(name)")
            }
            // A fresh checkout has nothing untracked or modified: only what differs between the
            // commit checked out and `commit` needs writing (no status scan of the new worktree).
            if let checkedOut, checkedOut != commit {
                try resetObserved(linkedRepo, path: path, to: commit, from: checkedOut, observed: [])
            }
        } catch {
            remove(repository: repository, name: name)
            throw error
        }
        return path
    }

    /// Brings a worktree back to exactly `commit`: tracked paths the last job touched are checked
    /// out again, untracked and ignored files are deleted, HEAD is detached at `commit`.
    ///
    /// Only changed paths are rewritten (reference §2, c3): cost follows what the job did, not the
    /// size of the repository, apart from one status scan.
    static func reset(path: String, to commit: ObjectID, from previous: ObjectID?, observed: Set<String>? = nil) throws(GitError) {
        let repo = try RepositoryHandle.open(path)
        if let observed, let previous, try repo.headCommitID() == previous {
            try resetObserved(repo, path: path, to: commit, from: previous, observed: observed)
            return
        }
        let flags =
            GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue | GIT_STATUS_OPT_INCLUDE_IGNORED.rawValue
            | GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue
        let entries = try StatusScan.run(repo, flags: flags, paths: [])
        let directory = ConfinedDirectory(root: path)
        for entry in entries where entry.isUntracked || entry.isIgnored {
            // A folder is reported with a trailing slash; a link is removed, never followed.
            let relative = entry.path.hasSuffix("/") ? String(entry.path.dropLast()) : entry.path
            try directory.remove(relative)
        }
        var paths = Set(entries.filter { !$0.isUntracked && !$0.isIgnored }.map(\.path))
        let head = try repo.headCommitID()
        let target = try repo.tree(ofCommit: commit)
        if let head, head != commit {
            paths.formUnion(try changedPaths(repo, from: repo.tree(ofCommit: head), to: target))
        }
        try checkOut(paths, of: target, at: commit, in: repo, path: path)
    }

    /// The same reset without a status scan, for a worktree whose written paths are known
    /// (`ChangeWatcher`) and whose HEAD and index nobody else touched.
    ///
    /// When the base does not change (every job of a run shares the plan's base) the index is not
    /// touched either: what the job wrote is rewritten from the base's blobs (`restore`), so a
    /// recycle costs what the job wrote, not a read and a write of an index that grows with the
    /// repository. The index still names the right blobs; only its stat data for those files is
    /// stale, which makes git and libgit2 hash them again when they look.
    static func resetObserved(
        _ repo: RepositoryHandle, path: String, to commit: ObjectID, from previous: ObjectID,
        observed: Set<String>
    ) throws(GitError) {
        let target = try repo.tree(ofCommit: commit)
        let current = previous == commit ? target : try repo.tree(ofCommit: previous)
        var paths = previous == commit ? [] : try changedPaths(repo, from: current, to: target)
        for candidate in observed where candidate != ".git" {
            var tracked = try target.entry(at: candidate)
            if tracked == nil { tracked = try current.entry(at: candidate) }
            if let tracked {
                if tracked.mode != .tree { paths.insert(candidate) }
                continue
            }
            // Not in either tree: something the job created (file, folder or link). Remove it
            // without following a link on the way.
            try ConfinedDirectory(root: path).remove(candidate)
        }
        if previous == commit {
            // Nothing here needs the worktree's index, but filtering a blob looks attributes up in
            // it after the files: an empty one spares parsing it (20 ms at 50,000 files). The
            // base commit's attributes are looked up too, and the index holds just what it holds.
            try repo.useEmptyIndex()
            try restore(paths, of: target, at: commit, in: repo, root: path)
        } else {
            try checkOut(paths, of: target, at: commit, in: repo, path: path)
        }
    }

    /// Writes what `target` holds at each of `paths` into the worktree at `root` as a checkout
    /// would (the filters `commit`'s attributes and the configuration ask for, the file's mode,
    /// symbolic links), replacing whatever is there — a folder, a file or link where a parent
    /// folder should be — without reading or writing the worktree's index. Every write goes
    /// through `ConfinedDirectory`: nothing is written through a symbolic link in any component,
    /// nor into a file with other hard links (a link there is replaced, not followed).
    static func restore(
        _ paths: Set<String>, of target: TreeHandle, at commit: ObjectID, in repo: RepositoryHandle,
        root: String
    ) throws(GitError) {
        let directory = ConfinedDirectory(root: root)
        for relative in paths.sorted() {
            guard let entry = try target.entry(at: relative), entry.mode.isBlob else { continue }
            if entry.mode == .symlink {
                try directory.replace(relative, symlinkTo: String(decoding: try repo.blob(entry.id), as: UTF8.self))
                continue
            }
            let bytes = try repo.filteredBlob(entry.id, as: relative, attributesFrom: commit)
            try directory.rewrite(relative, with: bytes, executable: entry.mode == .executable)
        }
    }

    /// Forces `paths` of the worktree (files and index entries) to what `target` holds, then
    /// detaches HEAD at `commit`.
    private static func checkOut(
        _ paths: Set<String>, of target: TreeHandle, at commit: ObjectID, in repo: RepositoryHandle,
        path: String
    ) throws(GitError) {
        if !paths.isEmpty {
            // libgit2's checkout resolves paths the ordinary way: a link the job put in place of
            // a file or of a folder on the way to one would be written through. Remove them first;
            // the checkout then writes what the tree holds.
            let directory = ConfinedDirectory(root: path)
            for relative in paths.sorted() {
                while try directory.removeLinks(along: relative) {}
            }
            var options = git_checkout_options()
            try LibGit2.check(
                git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION)),
                "initialising checkout options")
            options.checkout_strategy = GIT_CHECKOUT_FORCE.rawValue | GIT_CHECKOUT_DISABLE_PATHSPEC_MATCH.rawValue
            var pathspec = CStringArray(paths.sorted())
            try pathspec.withStrArray { (array) throws(GitError) in
                options.paths = array
                try LibGit2.check(git_checkout_tree(repo.pointer, target.pointer, &options), "resetting worktree files", path: path)
            }
        }
        var oid = commit.oid
        try LibGit2.check(git_repository_set_head_detached(repo.pointer, &oid), "detaching worktree HEAD", path: path)
    }

    static func changedPaths(_ repo: RepositoryHandle, from old: TreeHandle, to new: TreeHandle) throws(GitError) -> Set<String> {
        var diff: OpaquePointer?
        try LibGit2.check(git_diff_tree_to_tree(&diff, repo.pointer, old.pointer, new.pointer, nil), "diffing two trees")
        defer { git_diff_free(diff) }
        var paths = Set<String>()
        for index in 0..<git_diff_num_deltas(diff) {
            guard let delta = git_diff_get_delta(diff, index)?.pointee else { continue }
            if let path = delta.old_file.path { paths.insert(String(cString: path)) }
            if let path = delta.new_file.path { paths.insert(String(cString: path)) }
        }
        return paths
    }

    /// Removes a pool worktree: its directory, its `.git/worktrees` entry and any branch of its name.
    static func remove(repository: GitRepository, name: String) {
        if let repo = try? repository.open() {
            var worktree: OpaquePointer?
            if git_worktree_lookup(&worktree, repo.pointer, name) == 0 {
                var options = git_worktree_prune_options()
                git_worktree_prune_options_init(&options, UInt32(GIT_WORKTREE_PRUNE_OPTIONS_VERSION))
                options.flags =
                    GIT_WORKTREE_PRUNE_VALID.rawValue | GIT_WORKTREE_PRUNE_LOCKED.rawValue
                    | GIT_WORKTREE_PRUNE_WORKING_TREE.rawValue
                git_worktree_prune(worktree, &options)
                git_worktree_free(worktree)
            }
        }
        removeLeftovers(repository: repository, name: name)
    }

    /// Deletes whatever a failed or interrupted create left: folders, the lock file and the temporary branch.
    ///
    /// Removals go through `ConfinedDirectory` beneath the common git directory: a link planted
    /// in place of `.git/worktrees`, `.git/stomper` or the worktree itself (an agent can write
    /// there when no sandbox keeps it out) is removed or left, never followed, so nothing outside
    /// is deleted. Best effort: a removal that fails leaves stomper's own leftover, which the next
    /// run's `prepare()` removes; no user content is at stake.
    static func removeLeftovers(repository: GitRepository, name: String) {
        let directory = ConfinedDirectory(root: repository.commonDir)
        for leftover in ["worktrees/" + name, "stomper/worktrees/" + name, "stomper/worktrees/" + name + ".lock"] {
            do {
                try directory.remove(leftover)
            } catch {
                // Reported by the next `prepare()`, which finds the worktree again.
                continue
            }
        }
        if let repo = try? repository.open() {
            var branch: OpaquePointer?
            if git_branch_lookup(&branch, repo.pointer, name, GIT_BRANCH_LOCAL) == 0 {
                git_branch_delete(branch)
                git_reference_free(branch)
            }
        }
    }

    /// Every pool worktree git or the pool folder knows of, by name.
    static func poolWorktreeNames(in repository: GitRepository) -> [String] {
        let fileManager = FileManager.default
        var names = Set<String>()
        for folder in [repository.commonDir + "/worktrees", directory(of: repository)] {
            for entry in (try? fileManager.contentsOfDirectory(atPath: folder)) ?? []
            where entry.hasPrefix(prefix) && !entry.hasSuffix(".lock") {
                names.insert(entry)
            }
        }
        if let repo = try? repository.open() {
            var list = git_strarray()
            if git_worktree_list(&list, repo.pointer) == 0 {
                for index in 0..<list.count {
                    if let name = list.strings[index].map({ String(cString: $0) }), name.hasPrefix(prefix) {
                        names.insert(name)
                    }
                }
                git_strarray_dispose(&list)
            }
        }
        return names.sorted()
    }

    /// Takes the pool worktrees no running process uses — kept by a finished run, or left by a
    /// crashed one — up to `limit`, and only those that are whole (a folder with its `.git` link
    /// and git's record of it). Broken ones are removed. Returns the claimed names with their
    /// lock descriptors, and the names removed.
    static func claimUnused(in repository: GitRepository, limit: Int) -> (claimed: [(name: String, lock: Int32)], removed: [String]) {
        var claimed: [(name: String, lock: Int32)] = []
        var removed: [String] = []
        for name in poolWorktreeNames(in: repository) where claimed.count < limit {
            // Before locks existed a worktree's owner was told by the pid in its name.
            if !FileManager.default.fileExists(atPath: lockFile(of: repository, name: name)) && isOwnerAlive(name) { continue }
            guard let lock = try? claim(repository, name: name) else { continue }
            let path = directory(of: repository) + "/" + name
            if FileManager.default.fileExists(atPath: path + "/.git"),
                FileManager.default.fileExists(atPath: repository.commonDir + "/worktrees/" + name + "/gitdir")
            {
                claimed.append((name, lock))
            } else {
                remove(repository: repository, name: name)
                release(lock)
                removed.append(name)
            }
        }
        return (claimed, removed)
    }

    /// Removes the pool worktrees no running process uses (kept or crashed runs' worktrees).
    /// Worktrees of live stomper processes are left alone. Returns the names removed.
    @discardableResult
    static func removeStale(in repository: GitRepository) -> [String] {
        let (claimed, removed) = claimUnused(in: repository, limit: .max)
        for (name, lock) in claimed {
            remove(repository: repository, name: name)
            release(lock)
        }
        return (removed + claimed.map(\.name)).sorted()
    }

    static func isOwnerAlive(_ name: String) -> Bool {
        let fields = name.dropFirst(prefix.count).split(separator: "-")
        guard let first = fields.first, let pid = pid_t(first) else { return false }
        return ProcessLiveness.isAlive(pid: pid)
    }
}
