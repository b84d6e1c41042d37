internal import Clibgit2
import Foundation

extension GitRepository {
    /// Whether `name` is a valid short branch name (`stomper/fixes`; not `a..b`, `-x`, `HEAD`, `@`,
    /// nor a full ref name such as `refs/heads/main`, which would name another ref).
    public static func isValidBranchName(_ name: String) -> Bool {
        guard name != "@", name != "HEAD", !name.hasPrefix("refs/") else { return false }
        LibGit2.ensureInitialised()
        var valid: Int32 = 0
        guard git_branch_name_is_valid(&valid, name) == 0 else { return false }
        return valid == 1
    }

    /// The working tree (main or linked) whose HEAD is on `branch`, or nil when none is.
    ///
    /// Read from the HEAD files under the common git directory rather than through
    /// `git_branch_is_checked_out`, which a half-created worktree entry makes answer true for
    /// every branch in libgit2 1.5.1 (reference §P7).
    public func worktreeCheckingOut(branch: String) -> String? {
        let wanted = "ref: refs/heads/\(branch)"
        func onBranch(_ headFile: String) -> Bool {
            guard let text = try? String(contentsOfFile: headFile, encoding: .utf8) else { return false }
            return text.trimmingCharacters(in: .whitespacesAndNewlines) == wanted
        }
        if onBranch(commonDir + "/HEAD") {
            return commonDir.hasSuffix("/.git") ? String(commonDir.dropLast("/.git".count)) : commonDir
        }
        let folder = commonDir + "/worktrees"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for name in names.sorted() where onBranch(folder + "/" + name + "/HEAD") {
            let gitdir = (try? String(contentsOfFile: folder + "/" + name + "/gitdir", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            if let gitdir, gitdir.hasSuffix("/.git") { return String(gitdir.dropLast("/.git".count)) }
            return gitdir ?? folder + "/" + name
        }
        return nil
    }

    /// Whether `ancestor` is `tip` or reachable from it.
    ///
    /// Walks parents itself instead of `git_graph_descendant_of`: libgit2 1.5.1 does not know
    /// shallow clones, and a walk that reaches a grafted commit's missing parents fails there.
    /// Missing commits end their line of the walk (a shallow clone's boundary), so the answer is
    /// about the history present. At most `limit` commits are visited (then: false).
    public func contains(_ ancestor: ObjectID, from tip: ObjectID, limit: Int = 200_000) throws(GitError) -> Bool {
        if ancestor == tip { return true }
        let repo = try open()
        var queue = [tip]
        var seen: Set<ObjectID> = [tip]
        var next = 0
        while next < queue.count, next < limit {
            let id = queue[next]
            next += 1
            guard let commit = try repo.commitIfPresent(id) else { continue }
            for index in 0..<git_commit_parentcount(commit.pointer) {
                guard let raw = git_commit_parent_id(commit.pointer, index) else { continue }
                let parent = ObjectID(raw.pointee)
                if parent == ancestor { return true }
                if seen.insert(parent).inserted { queue.append(parent) }
            }
        }
        return false
    }

    /// The full message of `commit`.
    public func message(of commit: ObjectID) throws(GitError) -> String {
        let repo = try open()
        let handle = try repo.commit(commit)
        return git_commit_message(handle.pointer).map { String(cString: $0) } ?? ""
    }
}

extension RepositoryHandle {
    /// The commit, or nil when the object store does not have it (beyond a shallow clone's boundary).
    func commitIfPresent(_ id: ObjectID) throws(GitError) -> CommitHandle? {
        var oid = id.oid
        var out: OpaquePointer?
        let result = git_commit_lookup(&out, pointer, &oid)
        if result == GIT_ENOTFOUND.rawValue { return nil }
        try LibGit2.check(result, "looking up commit \(id.short)")
        return CommitHandle(out!)
    }
}
