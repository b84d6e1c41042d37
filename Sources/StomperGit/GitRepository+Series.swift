internal import Clibgit2

/// One commit of a line of history and the paths it changes against its first parent.
public struct CommitPaths: Sendable, Hashable {
    public var commit: ObjectID
    /// The first parent: the commit before it on the line.
    public var parent: ObjectID
    /// The first paragraph of the message, on one line.
    public var subject: String
    /// Every path the commit changes, old and new names of a rename, sorted.
    public var paths: [String]

    public init(commit: ObjectID, parent: ObjectID, subject: String, paths: [String]) {
        self.commit = commit
        self.parent = parent
        self.subject = subject
        self.paths = paths
    }
}

extension GitRepository {
    /// The commits after `base` up to and including `tip`, following first parents, oldest
    /// first, each with the paths it changes (renames found as `patchEmail(for:)` finds them).
    /// Empty when `tip` is `base`.
    ///
    /// `base` must be on `tip`'s first-parent line; if the walk reaches a root commit or a commit
    /// that is not here (a shallow clone's boundary) first, that is an `.objectNotFound` error.
    /// A walk of parents of our own, not a revwalk hiding `base`, so a shallow clone whose
    /// boundary is `base` works (libgit2 1.5.1 would load `base`'s missing parents).
    public func commits(after base: ObjectID, upTo tip: ObjectID) throws(GitError) -> [CommitPaths] {
        let repo = try open()
        var series: [CommitPaths] = []
        var current = tip
        while current != base {
            guard let commit = try repo.commitIfPresent(current), git_commit_parentcount(commit.pointer) > 0,
                let raw = git_commit_parent_id(commit.pointer, 0)
            else {
                throw GitError(
                    .objectNotFound,
                    "\(base.short) is not on the first-parent line of \(tip.short) (the walk stopped at "
                        + "\(current.short)): pass the commit the branch was started from", path: workdir)
            }
            let parent = ObjectID(raw.pointee)
            series.append(
                CommitPaths(
                    commit: current, parent: parent,
                    subject: git_commit_summary(commit.pointer).map { String(cString: $0) } ?? "",
                    paths: try repo.pathsChanged(by: current, against: parent)))
            current = parent
        }
        return series.reversed()
    }
}

extension RepositoryHandle {
    /// The paths `commit` changes against `parent`, both names of a rename.
    func pathsChanged(by commit: ObjectID, against parent: ObjectID) throws(GitError) -> [String] {
        let new = try tree(ofCommit: commit)
        let old = try tree(ofCommit: parent)
        var diff: OpaquePointer?
        try LibGit2.check(git_diff_tree_to_tree(&diff, pointer, old.pointer, new.pointer, nil), "diffing \(commit.short)")
        defer { git_diff_free(diff) }
        var find = git_diff_find_options()
        try LibGit2.check(git_diff_find_options_init(&find, UInt32(GIT_DIFF_FIND_OPTIONS_VERSION)), "initialising rename detection")
        try LibGit2.check(git_diff_find_similar(diff, &find), "detecting renames in \(commit.short)")
        var paths = Set<String>()
        for index in 0..<git_diff_num_deltas(diff) {
            guard let delta = git_diff_get_delta(diff, index)?.pointee else { continue }
            if let path = delta.old_file.path { paths.insert(String(cString: path)) }
            if let path = delta.new_file.path { paths.insert(String(cString: path)) }
        }
        return paths.sorted()
    }
}
