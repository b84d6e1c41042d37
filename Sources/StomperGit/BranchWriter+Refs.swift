internal import Clibgit2

/// Commits and the branch ref: building a commit, reading and moving `refs/heads/<branch>`.
extension BranchWriter {
    /// The commit `refs/heads/<branch>` points at, or nil when the branch does not exist.
    func refTip(_ repo: RepositoryHandle) throws(GitError) -> ObjectID? {
        var oid = git_oid()
        let result = git_reference_name_to_id(&oid, repo.pointer, refName)
        if result == GIT_ENOTFOUND.rawValue { return nil }
        try LibGit2.check(result, "reading \(refName)")
        return ObjectID(oid)
    }

    /// Creates the branch at `commit` unless it exists by now (false: another writer created it;
    /// the caller rebuilds on its tip).
    func createBranch(_ repo: RepositoryHandle, at commit: ObjectID, message: String) throws(GitError) -> Bool {
        var oid = commit.oid
        var ref: OpaquePointer?
        let firstLine = message.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? message
        var backoff = LockBackoff(limit: lockWait)
        var result: Int32
        while true {
            result = git_reference_create(&ref, repo.pointer, refName, &oid, 0, "stomper: \(firstLine)")
            guard result == GIT_ELOCKED.rawValue else { break }
            if !backoff.waited { onLockWait?(repository.commonDir + "/" + refName + ".lock") }
            guard backoff.pause() else { break }
        }
        if result == GIT_EEXISTS.rawValue { return false }
        try LibGit2.check(result, "creating \(refName)")
        git_reference_free(ref)
        return true
    }

    /// The branch tip, after checking that HEAD of the main working tree is still on the branch.
    func currentTip(_ repo: RepositoryHandle) throws(GitError) -> ObjectID {
        var head: OpaquePointer?
        try LibGit2.check(git_reference_lookup(&head, repo.pointer, "HEAD"), "reading HEAD")
        defer { git_reference_free(head) }
        let target = git_reference_symbolic_target(head).map { String(cString: $0) }
        guard target == refName else {
            throw GitError(
                .detachedHead,
                "HEAD of the main working tree is no longer on \(branch); switch back to it or run stomper again")
        }
        var oid = git_oid()
        try LibGit2.check(git_reference_name_to_id(&oid, repo.pointer, refName), "reading \(refName)")
        return ObjectID(oid)
    }

    /// The commit of `patch` on `parent`, and its tree.
    func buildCommit(
        _ repo: RepositoryHandle, parent: ObjectID, parentTree: TreeHandle, patch: Patch, message: String,
        author: Signature?
    ) throws(GitError) -> (ObjectID, TreeHandle) {
        let tree = try repo.tree(applying: patch.changes, to: parentTree)
        let parentCommit = try repo.commit(parent)
        let signature = try makeSignature(repo, author)
        defer { git_signature_free(signature) }
        var parents: [OpaquePointer?] = [parentCommit.pointer]
        var commitOid = git_oid()
        try LibGit2.check(
            git_commit_create(
                &commitOid, repo.pointer, nil, signature, signature, "UTF-8", message,
                tree.pointer, 1, &parents),
            "creating the commit")
        return (ObjectID(commitOid), tree)
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

    /// Compare-and-swap of the branch ref. False when the branch no longer points at `old`.
    func moveBranch(_ repo: RepositoryHandle, from old: ObjectID, to new: ObjectID, message: String) throws(GitError) -> Bool {
        var newOid = new.oid
        var oldOid = old.oid
        var ref: OpaquePointer?
        let firstLine = message.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? message
        // Another git process (the user's `git commit`, `git fetch` updating the ref) may take the
        // ref's lock between `waitForGitLocks` and here: wait for it as for the index.
        var backoff = LockBackoff(limit: lockWait)
        var result: Int32
        while true {
            result = git_reference_create_matching(&ref, repo.pointer, refName, &newOid, 1, &oldOid, "stomper: \(firstLine)")
            guard result == GIT_ELOCKED.rawValue else { break }
            if !backoff.waited { onLockWait?(repository.commonDir + "/" + refName + ".lock") }
            guard backoff.pause() else { break }
        }
        if result == GIT_EMODIFIED.rawValue { return false }
        try LibGit2.check(result, "moving \(refName)")
        git_reference_free(ref)
        return true
    }
}
