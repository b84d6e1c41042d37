internal import Clibgit2
import Foundation

/// A linked, detached worktree leased from a `WorktreePool` for one job.
///
/// A value: it names the worktree on disk. Its methods open their own handle and block; call them
/// through `BlockingIO.run`.
public struct Worktree: Sendable, Hashable {
    /// The worktree's git name (`.git/worktrees/<name>`).
    public let name: String
    /// Absolute path of the worktree's root.
    public let path: String
    /// The commit the worktree was reset to when it was leased.
    public let base: ObjectID

    func open() throws(GitError) -> RepositoryHandle {
        try RepositoryHandle.open(path)
    }

    /// The commit the worktree's HEAD points at now. Differs from `base` if something committed in it.
    public func headCommit() throws(GitError) -> ObjectID? {
        try open().headCommitID()
    }

    /// Every path whose content or mode differs from `base`: tracked files that were edited,
    /// deleted or had their mode changed, and untracked (not ignored) files, each with its new
    /// content. Ignored files are not part of a change; recycling removes them.
    public func changes() throws(GitError) -> Patch {
        let repo = try open()
        let flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS.rawValue
            | GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue
        let entries = try StatusScan.run(repo, flags: flags, paths: [])
        let tree = try repo.tree(ofCommit: base)
        var seen = Set<String>()
        var changes: [PathChange] = []
        for entry in entries where seen.insert(entry.path).inserted {
            let old = try tree.entry(at: entry.path)
            let new = try WorkingFile.read(root: path, relativePath: entry.path)
            if let old, let new, old.id == new.id, old.mode == new.mode { continue }
            if old == nil && new == nil { continue }
            changes.append(PathChange(path: entry.path, old: old, new: new))
        }
        return Patch(base: base, changes: changes)
    }

    /// A unified diff (git format, binary patches included) of `paths` against `base`.
    public func unifiedDiff(paths: [String]) throws(GitError) -> String {
        guard !paths.isEmpty else { return "" }
        let repo = try open()
        let tree = try repo.tree(ofCommit: base)
        var options = git_diff_options()
        try LibGit2.check(git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)), "initialising diff options")
        options.flags = GIT_DIFF_INCLUDE_UNTRACKED.rawValue | GIT_DIFF_RECURSE_UNTRACKED_DIRS.rawValue
            | GIT_DIFF_SHOW_UNTRACKED_CONTENT.rawValue | GIT_DIFF_SHOW_BINARY.rawValue
            | GIT_DIFF_DISABLE_PATHSPEC_MATCH.rawValue | GIT_DIFF_INCLUDE_TYPECHANGE.rawValue
        var pathspec = CStringArray(paths)
        return try pathspec.withStrArray { (array) throws(GitError) -> String in
            options.pathspec = array
            var diff: OpaquePointer?
            try LibGit2.check(git_diff_tree_to_workdir(&diff, repo.pointer, tree.pointer, &options), "diffing the worktree")
            defer { git_diff_free(diff) }
            var buffer = git_buf()
            defer { git_buf_dispose(&buffer) }
            try LibGit2.check(git_diff_to_buf(&buffer, diff, GIT_DIFF_FORMAT_PATCH), "formatting the diff")
            guard let pointer = buffer.ptr else { return "" }
            return String(decoding: UnsafeRawBufferPointer(start: pointer, count: buffer.size), as: UTF8.self)
        }
    }
}

/// Reads what a working tree holds at a path, as git would store it.
enum WorkingFile {
    static func read(root: String, relativePath: String) throws(GitError) -> PathChange.Content? {
        let full = root + "/" + relativePath
        var info = stat()
        guard lstat(full, &info) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw GitError(.io, "cannot stat a changed file: \(String(cString: strerror(errno)))", path: relativePath)
        }
        let bytes: [UInt8]
        let mode: FileMode
        switch info.st_mode & S_IFMT {
        case S_IFLNK:
            var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = readlink(full, &target, Int(PATH_MAX))
            guard length >= 0 else {
                throw GitError(.io, "cannot read a symbolic link", path: relativePath)
            }
            bytes = target[0..<length].map { UInt8(bitPattern: $0) }
            mode = .symlink
        case S_IFREG:
            guard let data = FileManager.default.contents(atPath: full) else {
                throw GitError(.io, "cannot read a changed file", path: relativePath)
            }
            bytes = [UInt8](data)
            mode = info.st_mode & S_IXUSR != 0 ? .executable : .regular
        default:
            // A directory where a file was (its files are reported on their own), a socket, a fifo.
            return nil
        }
        return PathChange.Content(bytes: bytes, mode: mode, id: try hash(bytes))
    }

    /// The blob id git would give `bytes`, without writing anything.
    static func hash(_ bytes: [UInt8]) throws(GitError) -> ObjectID {
        var oid = git_oid()
        // An empty array has no base address; libgit2 wants a valid pointer even for zero bytes.
        let storage = bytes.isEmpty ? [0] : bytes
        let result = storage.withUnsafeBytes { git_odb_hash(&oid, $0.baseAddress, bytes.count, GIT_OBJECT_BLOB) }
        try LibGit2.check(result, "hashing file content")
        return ObjectID(oid)
    }
}
