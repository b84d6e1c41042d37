internal import Clibgit2
import Foundation

extension GitRepository {
    /// For every commit reachable from `tip` but not from `base`, the value of each `key:`
    /// trailer line in its message, mapped to the commit that carries it (the newest wins).
    ///
    /// Resume uses it to learn which jobs landed even if the process died before recording them.
    public func trailerValues(_ key: String, from tip: ObjectID, excluding base: ObjectID?) throws(GitError) -> [String: ObjectID] {
        let repo = try open()
        let prefix = key + ":"
        var values: [String: ObjectID] = [:]
        func collect(_ id: ObjectID, _ commit: CommitHandle) {
            guard let raw = git_commit_message(commit.pointer) else { return }
            for line in String(cString: raw).split(separator: "\n") where line.hasPrefix(prefix) {
                let value = line.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
                if values[value] == nil { values[value] = id }
            }
        }
        if try revwalk(repo, from: tip, excluding: base, collect) { return values }
        // The walk failed part-way: in a shallow clone (which libgit2 1.5.1 does not know) hiding
        // or reaching a grafted commit needs its missing parents. Walk the parents by hand
        // instead, stopping at `base` and at missing commits.
        values = [:]
        var queue = [tip]
        var seen: Set<ObjectID> = [tip]
        var next = 0
        while next < queue.count {
            let id = queue[next]
            next += 1
            if id == base { continue }
            guard let commit = try repo.commitIfPresent(id) else { continue }
            collect(id, commit)
            for index in 0..<git_commit_parentcount(commit.pointer) {
                guard let raw = git_commit_parent_id(commit.pointer, index) else { continue }
                let parent = ObjectID(raw.pointee)
                if seen.insert(parent).inserted { queue.append(parent) }
            }
        }
        return values
    }

    /// libgit2's walk of `tip` minus `base`, newest first; false when it failed before the end.
    private func revwalk(
        _ repo: RepositoryHandle, from tip: ObjectID, excluding base: ObjectID?,
        _ body: (ObjectID, CommitHandle) -> Void
    ) throws(GitError) -> Bool {
        var walk: OpaquePointer?
        try LibGit2.check(git_revwalk_new(&walk, repo.pointer), "starting a history walk")
        defer { git_revwalk_free(walk) }
        var tipOid = tip.oid
        guard git_revwalk_push(walk, &tipOid) == 0 else { return false }
        if let base {
            var baseOid = base.oid
            guard git_revwalk_hide(walk, &baseOid) == 0 else { return false }
        }
        var oid = git_oid()
        while true {
            let result = git_revwalk_next(&oid, walk)
            if result == GIT_ITEROVER.rawValue { return true }
            guard result == 0, let commit = try repo.commitIfPresent(ObjectID(oid)) else { return false }
            body(ObjectID(oid), commit)
        }
    }

    /// Puts back what a landing that was killed half-way wrote to the main working tree and index.
    ///
    /// For each path, `old` is what the branch held and `new` what the landing was writing. If the
    /// branch already holds `new`, the landing completed and nothing is touched. Otherwise a file
    /// whose working-tree content is exactly `new` (written by the dead landing, not by a person)
    /// is restored to `old`, in the working tree and in the index. A file holding anything else —
    /// say the landed fix plus a line the user added after the crash — is never overwritten: only
    /// its index entry, if the landing wrote it, goes back to `old`, so the user's content shows as
    /// an uncommitted change (and resume skips that job for it). Returns the paths restored.
    /// Writes never follow a symbolic link (`ConfinedDirectory`, refusing links on the way).
    ///
    /// Runs inside the landing lock every process's landings share, so a live process's landing is
    /// never mid-write (its temporary files are not taken for a dead one's).
    public func repairInterruptedLanding(
        branch: String, changes: [(path: String, old: TreeEntry?, new: ObjectID?)]
    )
        throws -> [String]
    {
        try LandingLock.withLock(
            commonDir: commonDir,
            clearing: ["index.lock", "refs/heads/\(branch).lock"]
        ) { () throws(GitError) -> [String] in
            try repairLocked(branch: branch, changes: changes)
        }
    }

    private func repairLocked(
        branch: String, changes: [(path: String, old: TreeEntry?, new: ObjectID?)]
    )
        throws(GitError) -> [String]
    {
        let repo = try open()
        let directory = ConfinedDirectory(root: workdir, obstacles: .refuse)
        // A landing killed while writing a file leaves its temporary file beside it.
        for folder in Set(changes.map { ($0.path as NSString).deletingLastPathComponent }) {
            for name in try directory.names(in: folder) where name.hasPrefix(".stomper-") && name.hasSuffix(".tmp") {
                try directory.removeFile(folder.isEmpty ? name : folder + "/" + name)
            }
        }
        var tipOid = git_oid()
        try LibGit2.check(git_reference_name_to_id(&tipOid, repo.pointer, "refs/heads/\(branch)"), "reading \(branch)")
        let tip = ObjectID(tipOid)
        let tree = try repo.tree(ofCommit: tip)
        // Per path: whether the working file is put back (it holds exactly what the landing
        // wrote) and whether only the index entry is (the file holds anything else: someone's
        // edit, which stays — the path then shows as modified and its job is re-planned from it).
        var restore: [(path: String, old: TreeEntry?, working: Bool)] = []
        for change in changes {
            let onBranch = try tree.entry(at: change.path)
            if onBranch?.id == change.new && change.new != nil { continue }
            if change.new == nil && onBranch == nil { continue }
            // As git would store the file: the landing wrote a checkout of its blob (CRLF where
            // `eol=crlf`), which cleans back to that blob.
            let working = try WorkingFile.read(root: workdir, relativePath: change.path) { (bytes) throws(GitError) in
                try repo.cleaned(bytes, as: change.path, attributesFrom: tip)
            }
            let indexHolds = try repo.indexEntryID(change.path)
            let wroteWorking =
                change.new.map { working?.id == $0 && working?.mode != .symlink }
                ?? (working == nil && onBranch != nil)
            let wroteIndex = indexHolds == change.new && indexHolds != onBranch?.id
            if wroteWorking {
                restore.append((change.path, change.old, true))
            } else if wroteIndex {
                restore.append((change.path, change.old, false))
            }
        }
        guard !restore.isEmpty else { return [] }
        let index = try repo.index()
        try LibGit2.check(git_index_read(index.pointer, 1), "reading the main index")
        for (path, old, working) in restore {
            switch (old, working) {
            case (let old?, true):
                try repo.checkOut(
                    PathChange.Content(bytes: try repo.blob(old.id), mode: old.mode, id: old.id), at: path,
                    in: directory, index: index, attributesFrom: tip)
            case (nil, true):
                try directory.removeFile(path)
                try LibGit2.check(git_index_remove_bypath(index.pointer, path), "removing from the index", path: path)
            case (let old?, false):
                try index.setEntry(path, old)
            case (nil, false):
                try LibGit2.check(git_index_remove_bypath(index.pointer, path), "removing from the index", path: path)
            }
        }
        try LibGit2.check(git_index_write(index.pointer), "writing the main index")
        return restore.map(\.path)
    }
}

extension IndexHandle {
    /// Points the index entry of `path` at `entry` without reading the working file (no stat
    /// data: git hashes the file again when it looks, and sees whatever is there as a change).
    func setEntry(_ path: String, _ entry: TreeEntry) throws(GitError) {
        var item = git_index_entry()
        item.mode = entry.mode.rawValue
        item.id = entry.id.oid
        let result = path.withCString { pointer -> Int32 in
            item.path = pointer
            return git_index_add(self.pointer, &item)
        }
        try LibGit2.check(result, "resetting an index entry", path: path)
    }
}

extension RepositoryHandle {
    /// The blob id the index holds for `path`, or nil.
    func indexEntryID(_ path: String) throws(GitError) -> ObjectID? {
        let index = try self.index()
        guard let entry = git_index_get_bypath(index.pointer, path, 0) else { return nil }
        return ObjectID(entry.pointee.id)
    }
}

extension Worktree {
    /// Throws away everything written in the worktree since it was leased: back to `base`.
    /// A sparse worktree is cleared and filled again with its selection.
    public func discardChanges() throws(GitError) {
        if let sparse {
            try SparseSlots.fill(path: path, repository: sparse.repository, tree: sparse.tree, paths: sparse.paths)
            return
        }
        try WorktreeSlots.reset(path: path, to: base, from: base)
    }

    /// Writes a patch's new contents into the worktree (a cached fix being re-applied) as a
    /// checkout writes their blobs: through the to-worktree filters (CRLF where `eol=crlf`) with
    /// the base commit's attributes, as recycling restores files — so `changes()` reads the same
    /// patch back. The worktree must be at the patch's base.
    /// Nothing is written through a symbolic link (`ConfinedDirectory`).
    public func apply(_ patch: Patch) throws(GitError) {
        let directory = ConfinedDirectory(root: path)
        let repo = try open()
        // The blobs go to memory, not `.git/objects`; the empty index spares parsing the real one.
        try repo.writeObjectsInMemory()
        try repo.useEmptyIndex()
        for change in patch.changes {
            if var new = change.new {
                if new.mode != .symlink {
                    new.bytes = try repo.filteredBlob(try repo.writeBlob(new.bytes), as: change.path, attributesFrom: base)
                }
                try directory.write(new, at: change.path)
            } else {
                try directory.remove(change.path)
            }
        }
    }
}
