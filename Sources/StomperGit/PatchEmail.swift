internal import Clibgit2
import Foundation

/// One commit as a `git format-patch` mail (mbox: `From <sha> Mon Sep 17 00:00:00 2001`, the
/// author, `Subject: [PATCH] …`, the whole message body with its trailers, a diffstat and the
/// patch), which `git am` applies as a commit with the same tree change and message.
///
/// Made by libgit2's `git_email_create_from_commit`, with its defaults: binary patches and
/// rename detection, as `git format-patch` does.
public struct PatchEmail: Sendable, Hashable {
    public var commit: ObjectID
    /// The commit the patch is relative to (the first parent); nil for a root commit.
    public var parent: ObjectID?
    /// The commit's tree: what the branch holds once the patch is applied on `parent`.
    public var tree: ObjectID
    /// The first paragraph of the message, on one line (what `Subject:` carries).
    public var subject: String
    /// Every path the commit changes, old and new names of a rename, sorted.
    public var paths: [String]
    /// The mail, byte for byte.
    public var bytes: [UInt8]
}

extension GitRepository {
    /// `commits` in history order, oldest first: the order `git am` must apply their patches in.
    ///
    /// Every commit must be a descendant of `base` (on top of it, not `base` itself); one that is
    /// not is an `.objectNotFound` error naming it. Commits between them that are not in the set
    /// (another writer's) are left out: the caller decides whether a gap matters.
    public func historyOrder(_ commits: Set<ObjectID>, since base: ObjectID) throws(GitError) -> [ObjectID] {
        guard !commits.isEmpty else { return [] }
        // A walk of our own over parents that never goes past `base`: libgit2 1.5.1's revwalk
        // loads the parents of a hidden commit, and in a shallow clone (a CI checkout) `base` is
        // the boundary whose parents are missing, so `git_revwalk_hide` would end the walk early.
        let repo = try open()
        // Distance from `base` along parents, memoized; nil = does not reach `base`.
        var depth: [ObjectID: Int?] = [base: 0]
        func resolve(_ start: ObjectID) throws(GitError) -> Int? {
            var path: [ObjectID] = []
            var current = start
            var found: Int?
            while true {
                if let known = depth[current] {
                    found = known
                    break
                }
                path.append(current)
                guard let commit = try repo.commitIfPresent(current), git_commit_parentcount(commit.pointer) > 0,
                    let raw = git_commit_parent_id(commit.pointer, 0)
                else {
                    found = nil
                    break
                }
                current = ObjectID(raw.pointee)
            }
            for (offset, id) in path.reversed().enumerated() { depth[id] = found.map { $0 + offset + 1 } }
            return depth[start] ?? nil
        }
        var placed: [(id: ObjectID, depth: Int)] = []
        for commit in commits.sorted() {
            guard commit != base, let distance = try resolve(commit) else {
                throw GitError(
                    .objectNotFound, "commit \(commit.short) is not on top of \(base.short): it cannot be exported as a patch of this series")
            }
            placed.append((commit, distance))
        }
        return placed.sorted { $0.depth < $1.depth }.map(\.id)
    }

    /// The tree a commit records.
    public func treeID(ofCommit commit: ObjectID) throws(GitError) -> ObjectID {
        try open().tree(ofCommit: commit).id
    }

    /// The `git format-patch` mail of one commit (not a merge).
    public func patchEmail(for commit: ObjectID) throws(GitError) -> PatchEmail {
        let repo = try open()
        let handle = try repo.commit(commit)
        var options = git_email_create_options()
        options.version = 1
        // GIT_EMAIL_CREATE_OPTIONS_INIT is a C initializer Swift cannot import; these are its values.
        try LibGit2.check(git_diff_options_init(&options.diff_opts, UInt32(GIT_DIFF_OPTIONS_VERSION)), "initialising diff options")
        options.diff_opts.flags = GIT_DIFF_SHOW_BINARY.rawValue
        try LibGit2.check(
            git_diff_find_options_init(&options.diff_find_opts, UInt32(GIT_DIFF_FIND_OPTIONS_VERSION)),
            "initialising rename detection")
        var buffer = git_buf()
        defer { git_buf_dispose(&buffer) }
        try LibGit2.check(git_email_create_from_commit(&buffer, handle.pointer, &options), "formatting \(commit.short) as a patch")
        let bytes = buffer.ptr.map { Array(UnsafeRawBufferPointer(start: $0, count: buffer.size)) } ?? []
        let subject = git_commit_summary(handle.pointer).map { String(cString: $0) } ?? ""
        let parent: ObjectID? =
            git_commit_parentcount(handle.pointer) > 0
            ? git_commit_parent_id(handle.pointer, 0).map { ObjectID($0.pointee) } : nil
        let tree = ObjectID(git_commit_tree_id(handle.pointer).pointee)
        return PatchEmail(
            commit: commit, parent: parent, tree: tree, subject: subject,
            paths: try changedPaths(repo, commit: commit, parent: parent), bytes: bytes)
    }

    /// The paths `commit` changes against `parent`, with renames found as the mail finds them.
    private func changedPaths(_ repo: RepositoryHandle, commit: ObjectID, parent: ObjectID?) throws(GitError) -> [String] {
        let new = try repo.tree(ofCommit: commit)
        let old = try parent.map { (id) throws(GitError) -> TreeHandle in try repo.tree(ofCommit: id) }
        var diff: OpaquePointer?
        try LibGit2.check(git_diff_tree_to_tree(&diff, repo.pointer, old?.pointer, new.pointer, nil), "diffing \(commit.short)")
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
