internal import Clibgit2
import Foundation

/// What HEAD of a working tree points at.
public enum HeadState: Sendable, Equatable {
    /// On a branch with at least one commit.
    case branch(name: String, commit: ObjectID)
    /// Detached at a commit.
    case detached(commit: ObjectID)
    /// On a branch that has no commit yet.
    case unborn(branch: String)
}

/// A git repository with a working tree, located on disk.
///
/// This is a `Sendable` value: it holds paths, never a libgit2 handle. Every method opens its
/// own handle, uses it on the calling thread and frees it before returning, so methods may be
/// called from any task. They block; call them from `BlockingIO.run` in async code.
public struct GitRepository: Sendable, Hashable {
    /// The working tree stomper lands in, absolute, without a trailing slash: the main working
    /// tree, or the linked worktree stomper was started in (its branch, its index, its files).
    public let workdir: String
    /// The common git directory (`.git` of the main working tree), absolute, without a trailing slash.
    public let commonDir: String

    /// Finds the repository containing `path` (the path itself or any parent).
    public static func discover(from path: String) throws(GitError) -> GitRepository {
        LibGit2.ensureInitialised()
        var buffer = git_buf()
        defer { git_buf_dispose(&buffer) }
        let found = git_repository_discover(&buffer, path, 0, nil)
        if found == GIT_ENOTFOUND.rawValue {
            throw GitError(
                .notARepository,
                "not inside a git repository: run stomper from a git working tree, or `git init` one first",
                path: path)
        }
        try LibGit2.check(found, "looking for a git repository", path: path)
        let handle = try RepositoryHandle.open(String(cString: buffer.ptr))
        guard let workdir = handle.workdir else {
            throw GitError(.bareRepository, "the repository has no working tree (bare repository)", path: path)
        }
        // Started in a linked worktree (`git worktree add ../feature feature`), stomper fixes that
        // worktree's branch and writes into it, as git commands run there would. Its own pool
        // worktrees are not somewhere to start a run.
        let common = Self.trimmed(handle.commonDir)
        let tree = Self.trimmed(workdir)
        if tree.hasPrefix(common + "/stomper/worktrees/") {
            throw GitError(
                .worktree, "this is one of stomper's own worktrees (\(tree)); run stomper in your checkout instead",
                path: path)
        }
        return GitRepository(workdir: tree, commonDir: common)
    }

    init(workdir: String, commonDir: String) {
        self.workdir = workdir
        self.commonDir = commonDir
    }

    static func trimmed(_ path: String) -> String {
        var path = path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return path
    }

    func open() throws(GitError) -> RepositoryHandle {
        try RepositoryHandle.open(workdir)
    }

    /// Where HEAD of the main working tree points.
    public func head() throws(GitError) -> HeadState {
        let repo = try open()
        var ref: OpaquePointer?
        let result = git_repository_head(&ref, repo.pointer)
        if result == GIT_EUNBORNBRANCH.rawValue {
            var headRef: OpaquePointer?
            try LibGit2.check(git_reference_lookup(&headRef, repo.pointer, "HEAD"), "reading HEAD")
            defer { git_reference_free(headRef) }
            let target = git_reference_symbolic_target(headRef).map { String(cString: $0) } ?? "HEAD"
            return .unborn(branch: Self.shortBranchName(target))
        }
        try LibGit2.check(result, "reading HEAD")
        defer { git_reference_free(ref) }
        var oid = git_oid()
        try LibGit2.check(git_reference_name_to_id(&oid, repo.pointer, "HEAD"), "resolving HEAD")
        if git_repository_head_detached(repo.pointer) == 1 {
            return .detached(commit: ObjectID(oid))
        }
        let name = String(cString: git_reference_name(ref))
        return .branch(name: Self.shortBranchName(name), commit: ObjectID(oid))
    }

    static func shortBranchName(_ refName: String) -> String {
        refName.hasPrefix("refs/heads/") ? String(refName.dropFirst("refs/heads/".count)) : refName
    }

    /// The commit a branch points at, or nil if the branch does not exist.
    public func branchTip(_ branch: String) throws(GitError) -> ObjectID? {
        let repo = try open()
        var oid = git_oid()
        let result = git_reference_name_to_id(&oid, repo.pointer, "refs/heads/\(branch)")
        if result == GIT_ENOTFOUND.rawValue { return nil }
        try LibGit2.check(result, "reading branch \(branch)")
        return ObjectID(oid)
    }

    /// The tree entry at `path` in `commit`, or nil if the commit has nothing there.
    public func entry(at path: String, in commit: ObjectID) throws(GitError) -> TreeEntry? {
        let repo = try open()
        return try repo.tree(ofCommit: commit).entry(at: path)
    }

    /// The tree entries at many paths of one commit, reading the tree once.
    public func entries(at paths: [String], in commit: ObjectID) throws(GitError) -> [String: TreeEntry] {
        let repo = try open()
        let tree = try repo.tree(ofCommit: commit)
        var result: [String: TreeEntry] = [:]
        for path in paths {
            if let entry = try tree.entry(at: path) { result[path] = entry }
        }
        return result
    }

    /// The content of a blob.
    public func blob(_ id: ObjectID) throws(GitError) -> [UInt8] {
        try open().blob(id)
    }

    /// Paths whose index or working-tree state differs from HEAD: modified, staged, deleted,
    /// renamed or type-changed tracked files. Untracked and ignored files are not included.
    ///
    /// One status scan of the whole working tree; call it once per run, not per file.
    public func uncommittedPaths() throws(GitError) -> Set<String> {
        let repo = try open()
        let entries = try StatusScan.run(repo, flags: GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue, paths: [])
        return Set(entries.filter { !$0.isUntracked && !$0.isIgnored }.map(\.path))
    }

    /// Whether `path` has uncommitted changes (in the index or the working tree) in the main checkout.
    public func hasUncommittedChanges(_ path: String) throws(GitError) -> Bool {
        try open().hasUncommittedChanges(path)
    }
}

extension RepositoryHandle {
    func hasUncommittedChanges(_ path: String) throws(GitError) -> Bool {
        var flags: UInt32 = 0
        let result = git_status_file(&flags, pointer, path)
        if result == GIT_ENOTFOUND.rawValue { return false }
        try LibGit2.check(result, "reading the status", path: path)
        let ignoredOrUntracked = GIT_STATUS_WT_NEW.rawValue | GIT_STATUS_IGNORED.rawValue
        return flags & ~ignoredOrUntracked != 0
    }
}
