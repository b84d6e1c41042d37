internal import Clibgit2
import Foundation

/// A linked, detached worktree leased from a `WorktreePool` for one job.
///
/// A value: it names the worktree on disk. Its methods open their own handle and block; call them
/// through `BlockingIO.run`.
public struct Worktree: Sendable {
    /// The worktree's git name (`.git/worktrees/<name>`).
    public let name: String
    /// Absolute path of the worktree's root.
    public let path: String
    /// The commit the worktree was reset to when it was leased.
    public let base: ObjectID
    /// What has been written in the worktree since it was leased, when inotify can tell.
    let watcher: ChangeWatcher?
    /// The worktree index as the pool left it; a different one means someone staged something.
    let indexStamp: FileStamp?
    let gitDirectory: String
    /// A sparse worktree (a plain folder holding the base's folders and these files of it), with
    /// the base's tree and the repository whose configuration and objects it uses; nil for a
    /// linked worktree.
    let sparse: (paths: Set<String>, tree: SparseTree, repository: GitRepository)?

    /// The files a sparse worktree was filled with; nil for a full (linked) worktree.
    public var sparsePaths: Set<String>? { sparse?.paths }

    init(
        name: String, path: String, base: ObjectID, watcher: ChangeWatcher? = nil, indexStamp: FileStamp? = nil,
        gitDirectory: String, sparse: (paths: Set<String>, tree: SparseTree, repository: GitRepository)? = nil
    ) {
        self.name = name
        self.path = path
        self.base = base
        self.watcher = watcher
        self.indexStamp = indexStamp
        self.gitDirectory = gitDirectory
        self.sparse = sparse
    }

    /// The paths written since the lease, if the watcher knows them and nobody touched the index.
    func observedPaths() -> Set<String>? {
        guard let watcher, let indexStamp, FileStamp(gitDirectory + "/index") == indexStamp,
            case .paths(let touched) = watcher.observe()
        else { return nil }
        return touched
    }

    func open() throws(GitError) -> RepositoryHandle {
        guard let sparse else { return try RepositoryHandle.open(path) }
        // The repository's handle, working in this folder: its `.gitattributes` and `.gitignore`
        // files, the common directory's configuration, `info/exclude` and objects.
        let repo = try sparse.repository.open()
        try repo.setWorkdir(path)
        return repo
    }

    /// The commit the worktree's HEAD points at now. Differs from `base` if something committed in it.
    /// A sparse worktree has no HEAD of its own: always `base`.
    public func headCommit() throws(GitError) -> ObjectID? {
        if sparse != nil { return base }
        return try open().headCommitID()
    }

    /// Every path whose content or mode differs from `base`: tracked files that were edited,
    /// deleted or had their mode changed, and untracked (not ignored) files, each with its new
    /// content. Ignored files are not part of a change; recycling removes them.
    ///
    /// Each new content is the blob `git add` would store (`PathChange.Content`): the file's bytes
    /// through the to-object-store filters the repository's configuration and attributes ask for
    /// at that path (end-of-line conversion, ident), with the worktree's `.gitattributes` files,
    /// then the base commit's, as attributes. A file rewritten with exactly what the checkout
    /// wrote is therefore no change, whatever the line endings on disk.
    ///
    /// When the pool's watcher knows which paths were written, only those are examined; otherwise
    /// the whole worktree is scanned. Both give the same patch. A sparse worktree is listed: a
    /// file of the base it was not filled with counts only if something wrote it.
    public func changes() throws(GitError) -> Patch {
        let repo = try open()
        let tree = try repo.tree(ofCommit: base)
        let candidates: [String]
        if let sparse {
            // A few files: every one there now, and every one it was filled with (gone: deleted).
            candidates = try expand(Set(try SparseSlots.files(under: path)).union(sparse.paths), repo: repo, tree: tree)
        } else if let observed = observedPaths() {
            candidates = try expand(observed, repo: repo, tree: tree)
        } else {
            let flags =
                GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS.rawValue
                | GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue
            candidates = try StatusScan.run(repo, flags: flags, paths: []).map(\.path)
        }
        var seen = Set<String>()
        var olds: [(path: String, entry: TreeEntry?)] = []
        for candidate in candidates where seen.insert(candidate).inserted {
            olds.append((candidate, try tree.entry(at: candidate)))
        }
        // From here on the handle's index holds just the base's entries of these paths, which
        // is what the worktree's index holds for them: the filters look a file's entry up (and
        // attributes after the files), and parsing the real index costs 20 ms at 50,000 files.
        try repo.useIndex(holding: olds.compactMap { item in item.entry.map { (item.path, $0) } })
        var changes: [PathChange] = []
        for (candidate, old) in olds {
            let new = try WorkingFile.read(root: path, relativePath: candidate) { (bytes) throws(GitError) in
                try repo.cleaned(bytes, as: candidate, attributesFrom: base)
            }
            if let old, let new, old.id == new.id, old.mode == new.mode { continue }
            if old == nil && new == nil { continue }
            if old?.mode == .tree { continue }
            changes.append(PathChange(path: candidate, old: old, new: new))
        }
        return Patch(base: base, changes: changes)
    }

    /// The files behind observed paths: new folders are walked, the worktree's `.git` link and
    /// untracked files that `.gitignore` ignores are left out, as a status scan would.
    private func expand(_ observed: Set<String>, repo: RepositoryHandle, tree: TreeHandle) throws(GitError) -> [String] {
        var files: [String] = []
        for candidate in observed.sorted() where candidate != ".git" && !candidate.hasPrefix(".git/") {
            var info = stat()
            if lstat(path + "/" + candidate, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
                // A folder where the base has a file: the file's deletion is part of the change.
                if try tree.entry(at: candidate)?.mode.isBlob == true { files.append(candidate) }
                let enumerator = FileManager.default.enumerator(atPath: path + "/" + candidate)
                while let child = enumerator?.nextObject() as? String {
                    var childInfo = stat()
                    let relative = candidate + "/" + child
                    if lstat(path + "/" + relative, &childInfo) == 0, childInfo.st_mode & S_IFMT != S_IFDIR {
                        files.append(relative)
                    }
                }
            } else {
                files.append(candidate)
            }
        }
        var kept: [String] = []
        for file in files {
            if try tree.entry(at: file) == nil {
                var ignored: Int32 = 0
                try LibGit2.check(git_ignore_path_is_ignored(&ignored, repo.pointer, file), "checking .gitignore", path: file)
                if ignored == 1 { continue }
            }
            kept.append(file)
        }
        return kept
    }

    /// `patch` as a unified diff (git format, binary patches and mode changes included) against
    /// `base`. Built from the patch's own contents: two trees holding only the patch's paths, as
    /// `base` has them and as the patch leaves them, go to an in-memory object store added to this
    /// handle (nothing is written to `.git/objects`) and are diffed, so the diff does not walk the
    /// base's trees. The handle gets an empty in-memory index: the diff looks attributes up in the
    /// working tree's `.gitattributes` files, then in the index, and parsing the worktree's index
    /// cost 20 ms per diff at 50,000 files (0.3 ms now; 1.2 ms diffing the whole trees).
    public func unifiedDiff(_ patch: Patch) throws(GitError) -> String {
        guard !patch.isEmpty else { return "" }
        let repo = try open()
        try repo.writeObjectsInMemory()
        try repo.useEmptyIndex()
        let empty = try repo.emptyTree()
        let old = try repo.tree(updating: empty, patch.changes.compactMap { change in change.old.map { (change.path, $0) } })
        let new = try repo.tree(applying: patch.changes.filter { $0.new != nil }, to: empty)
        var options = git_diff_options()
        try LibGit2.check(git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)), "initialising diff options")
        options.flags =
            GIT_DIFF_SHOW_BINARY.rawValue | GIT_DIFF_DISABLE_PATHSPEC_MATCH.rawValue
            | GIT_DIFF_INCLUDE_TYPECHANGE.rawValue
        var pathspec = CStringArray(patch.paths)
        return try pathspec.withStrArray { (array) throws(GitError) -> String in
            options.pathspec = array
            var diff: OpaquePointer?
            try LibGit2.check(git_diff_tree_to_tree(&diff, repo.pointer, old.pointer, new.pointer, &options), "diffing the change")
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
    /// The content at `relativePath`: a symbolic link's target, or a regular file's bytes passed
    /// through `clean` (the to-object-store filters; `nil`: stored as they are), with their blob id.
    static func read(
        root: String, relativePath: String,
        clean: ((_ bytes: [UInt8]) throws(GitError) -> [UInt8])? = nil
    ) throws(GitError) -> PathChange.Content? {
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
            bytes = try clean.map { (clean) throws(GitError) in try clean([UInt8](data)) } ?? [UInt8](data)
            mode = info.st_mode & S_IXUSR != 0 ? .executable : .regular
        default:
            // A directory where a file was (its files are reported on their own), a socket, a fifo.
            return nil
        }
        return PathChange.Content(bytes: bytes, mode: mode, id: try hash(bytes))
    }

    /// The blob id git would give `bytes`, without writing anything.
    static func hash(_ bytes: [UInt8]) throws(GitError) -> ObjectID {
        // `PathChange.Content(bytes:mode:)` may be the first libgit2 call a process makes.
        LibGit2.ensureInitialised()
        var oid = git_oid()
        // An empty array has no base address; libgit2 wants a valid pointer even for zero bytes.
        let storage = bytes.isEmpty ? [0] : bytes
        let result = storage.withUnsafeBytes { git_odb_hash(&oid, $0.baseAddress, bytes.count, GIT_OBJECT_BLOB) }
        try LibGit2.check(result, "hashing file content")
        return ObjectID(oid)
    }
}

/// Identity of a file's current version: changes whenever someone rewrites it.
struct FileStamp: Hashable, Sendable {
    var inode: UInt64
    var size: Int64
    var seconds: Int
    var nanoseconds: Int

    init?(_ path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        seconds = info.st_mtim.tv_sec
        nanoseconds = info.st_mtim.tv_nsec
    }
}
