internal import Clibgit2

/// Change sets for `--staged`, `--changed` and `--since REV`: which paths a run should look at.
///
/// Paths are relative to the repository root. Deleted paths are included (they differ from
/// HEAD; a caller filtering lint results simply never sees them). A rename counts as its new path.
extension GitRepository {
    /// Paths whose index entry differs from HEAD: added, modified, deleted or renamed (new path).
    /// In a repository without commits, everything in the index.
    public func stagedPaths() throws(GitError) -> Set<String> {
        let repo = try open()
        var paths = Set<String>()
        try Self.scanStatus(repo, show: GIT_STATUS_SHOW_INDEX_ONLY, flags: 0) { headToIndex, _ in
            if let path = headToIndex { paths.insert(path) }
        }
        return paths
    }

    /// Paths whose index or working-tree state differs from HEAD, plus untracked files that are
    /// not ignored (listed one by one, never as a folder).
    public func changedPaths() throws(GitError) -> Set<String> {
        try changedPaths(try open())
    }

    /// Paths that differ between `revision` and HEAD, plus `changedPaths()`.
    ///
    /// `revision` is anything `git rev-parse` accepts (`main`, `origin/main`, `HEAD~3`, a sha,
    /// a tag), peeled to a commit. A revision that does not resolve is an `.objectNotFound` error
    /// naming it.
    public func pathsChanged(since revision: String) throws(GitError) -> Set<String> {
        let repo = try open()
        let base = try Self.commitTree(repo, revision: revision)
        let head: TreeHandle? = try repo.headCommitID().map { (id) throws(GitError) -> TreeHandle in try repo.tree(ofCommit: id) }
        var diff: OpaquePointer?
        try LibGit2.check(
            git_diff_tree_to_tree(&diff, repo.pointer, base.pointer, head?.pointer, nil),
            "diffing \(revision) against HEAD")
        defer { git_diff_free(diff) }
        var find = git_diff_find_options()
        try LibGit2.check(git_diff_find_options_init(&find, UInt32(GIT_DIFF_FIND_OPTIONS_VERSION)), "initialising rename detection")
        find.flags = GIT_DIFF_FIND_RENAMES.rawValue
        try LibGit2.check(git_diff_find_similar(diff, &find), "detecting renames since \(revision)")
        var paths = try changedPaths(repo)
        for index in 0..<git_diff_num_deltas(diff) {
            guard let delta = git_diff_get_delta(diff, index)?.pointee else { continue }
            // For a deletion libgit2 puts the old path in `new_file` too.
            if let path = delta.new_file.path ?? delta.old_file.path { paths.insert(String(cString: path)) }
        }
        return paths
    }

    private func changedPaths(_ repo: RepositoryHandle) throws(GitError) -> Set<String> {
        var paths = Set<String>()
        let flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS.rawValue
        try Self.scanStatus(repo, show: GIT_STATUS_SHOW_INDEX_AND_WORKDIR, flags: flags) { headToIndex, indexToWorkdir in
            if let headToIndex { paths.insert(headToIndex) }
            if let indexToWorkdir { paths.insert(indexToWorkdir) }
        }
        return paths
    }

    /// The tree of the commit `revision` resolves to.
    private static func commitTree(_ repo: RepositoryHandle, revision: String) throws(GitError) -> TreeHandle {
        var object: OpaquePointer?
        let result = git_revparse_single(&object, repo.pointer, revision)
        if result < 0 {
            let details = LibGit2.error(result, "resolving \(revision)").libgit2
            throw GitError(
                .objectNotFound,
                "revision `\(revision)` does not resolve to a commit: run `git fetch` if it is a remote branch, or pass a valid branch, tag or commit",
                libgit2: details)
        }
        defer { git_object_free(object) }
        var commit: OpaquePointer?
        let peeled = git_object_peel(&commit, object, GIT_OBJECT_COMMIT)
        if peeled < 0 {
            let details = LibGit2.error(peeled, "peeling \(revision)").libgit2
            throw GitError(
                .objectNotFound, "revision `\(revision)` does not name a commit: pass a branch, tag or commit",
                libgit2: details)
        }
        defer { git_object_free(commit) }
        var tree: OpaquePointer?
        try LibGit2.check(git_commit_tree(&tree, commit), "reading the tree of \(revision)")
        return TreeHandle(tree!)
    }

    /// Runs a status scan (submodules excluded, renames in the index detected) and calls `body`
    /// with each entry's new path on the HEAD→index side and on the index→working tree side.
    private static func scanStatus(
        _ repo: RepositoryHandle, show: git_status_show_t, flags: UInt32,
        _ body: (_ headToIndex: String?, _ indexToWorkdir: String?) -> Void
    ) throws(GitError) {
        var options = git_status_options()
        try LibGit2.check(git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION)), "initialising status options")
        options.show = show
        options.flags = flags | GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue | GIT_STATUS_OPT_RENAMES_HEAD_TO_INDEX.rawValue
        var list: OpaquePointer?
        try LibGit2.check(git_status_list_new(&list, repo.pointer, &options), "scanning the working tree status")
        defer { git_status_list_free(list) }
        for index in 0..<git_status_list_entrycount(list) {
            guard let entry = git_status_byindex(list, index)?.pointee else { continue }
            if entry.status.rawValue & GIT_STATUS_IGNORED.rawValue != 0 { continue }
            body(newPath(entry.head_to_index), newPath(entry.index_to_workdir))
        }
    }

    private static func newPath(_ delta: UnsafeMutablePointer<git_diff_delta>?) -> String? {
        guard let file = delta?.pointee else { return nil }
        return (file.new_file.path ?? file.old_file.path).map { String(cString: $0) }
    }
}
