internal import Clibgit2
import Foundation

/// A folder whose contents stomper writes and removes without ever following a symbolic link.
///
/// Agents are untrusted and run as the user (often root): one that replaces a file, or a folder
/// on the way to it, by a link to `/etc/passwd`, `../../x` or the main repository's `.git` must
/// not make stomper's next write land there. So every write goes through a descriptor of the
/// parent folder reached from `root` with no link followed in any component — `openat2(2)` with
/// `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`, or, where the kernel lacks it (`ENOSYS`) or a folder
/// is missing or in the way, one `openat(O_NOFOLLOW | O_DIRECTORY)` per component — and the last
/// component is created, renamed over or unlinked relative to that descriptor. A link at the last
/// component is replaced or removed, never written through. `root` itself is trusted.
///
/// New files get mode 0644 or 0755 less the umask, as a checkout creates them; only
/// `replace(_:with:permissions:)` sets an exact mode (restoring a file as it was).
public struct ConfinedDirectory: Sendable {
    /// What to do with a file or symbolic link found where a parent folder of a written path
    /// should be.
    public enum Obstacles: Sendable, Hashable {
        /// Remove it and make the folder (a worktree stomper owns: whatever is there is the agent's).
        case replace
        /// Refuse with an error naming the path (the user's main working tree: it may be theirs).
        case refuse
    }

    /// The folder everything is written beneath.
    public let root: String
    public let obstacles: Obstacles
    /// Walk component by component even where `openat2` exists (tests of the fallback).
    let perComponent: Bool

    public init(root: String, obstacles: Obstacles = .replace) {
        self.init(root: root, obstacles: obstacles, perComponent: false)
    }

    init(root: String, obstacles: Obstacles, perComponent: Bool) {
        self.root = root
        self.obstacles = obstacles
        self.perComponent = perComponent
    }

    // MARK: - Writing

    /// Writes `content` at `relative` as git would store it back: a regular or executable file
    /// replaced atomically (a temporary file beside it, then a rename), or a symbolic link.
    /// With `durable`, the file is fsynced before the rename and its folder after.
    public func write(_ content: PathChange.Content, at relative: String, durable: Bool = false) throws(GitError) {
        switch content.mode {
        case .symlink:
            try replace(relative, symlinkTo: String(decoding: content.bytes, as: UTF8.self))
        case .executable:
            try replace(relative, with: content.bytes, create: 0o755, exact: false, durable: durable)
        default:
            try replace(relative, with: content.bytes, create: 0o644, exact: false, durable: durable)
        }
    }

    /// Replaces `relative` atomically by a regular file holding `bytes` with exactly
    /// `permissions` (the umask does not apply): a restore of a file as it was.
    public func replace(_ relative: String, with bytes: [UInt8], permissions: UInt32) throws(GitError) {
        try replace(relative, with: bytes, create: mode_t(permissions & 0o7777), exact: true, durable: false)
    }

    /// Replaces whatever is at `relative` by a symbolic link to `target` (atomically).
    public func replace(_ relative: String, symlinkTo target: String) throws(GitError) {
        try withParent(of: relative, creating: true) { (folder, name) throws(GitError) in
            let temporary = Self.temporaryName()
            guard symlinkat(target, folder, temporary) == 0 else {
                throw failure("cannot create a symbolic link", relative)
            }
            try rename(temporary, to: name, in: folder, relative: relative)
        }
    }

    /// Writes `bytes` to the file at `relative` in place when it is a regular file with a single
    /// link and the wanted executable bit (no new inode, cheaper on a busy file system), otherwise
    /// removes whatever is there (file, link, folder) and creates a new file. Not atomic: for
    /// worktrees stomper owns.
    public func rewrite(_ relative: String, with bytes: [UInt8], executable: Bool) throws(GitError) {
        try withParent(of: relative, creating: true) { (folder, name) throws(GitError) in
            var info = stat()
            if fstatat(folder, name, &info, AT_SYMLINK_NOFOLLOW) == 0, info.st_mode & S_IFMT == S_IFREG,
                info.st_nlink == 1, (info.st_mode & S_IXUSR != 0) == executable
            {
                let descriptor = openat(folder, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
                if descriptor >= 0 {
                    defer { close(descriptor) }
                    // Checked on the open file: between the lstat and the open it may have changed.
                    var opened = stat()
                    if fstat(descriptor, &opened) == 0, opened.st_mode & S_IFMT == S_IFREG, opened.st_nlink == 1 {
                        guard ftruncate(descriptor, 0) == 0 else { throw failure("cannot truncate a file", relative) }
                        try writeAll(bytes, to: descriptor, relative: relative)
                        return
                    }
                }
            }
            try removeEntry(name, in: folder, relative: relative)
            let descriptor = openat(
                folder, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                executable ? 0o755 : 0o644)
            guard descriptor >= 0 else { throw failure("cannot create a file", relative) }
            defer { close(descriptor) }
            try writeAll(bytes, to: descriptor, relative: relative)
        }
    }

    /// Makes `relative` and its parents folders (a file or link in the way is handled per `obstacles`).
    public func makeFolder(_ relative: String) throws(GitError) {
        try withParent(of: relative + "/.", creating: true, allowingDot: true) { (_, _) throws(GitError) in }
    }

    /// What `relative` is (`lstat`: a link is not followed), reached without following links
    /// on the way; nil when nothing is there.
    func status(of relative: String) throws(GitError) -> stat? {
        var result: stat?
        try withParent(of: relative, creating: false) { (folder, name) throws(GitError) in
            var info = stat()
            if fstatat(folder, name, &info, AT_SYMLINK_NOFOLLOW) == 0 {
                result = info
            } else if errno != ENOENT {
                throw failure("cannot inspect a file", relative)
            }
        }
        return result
    }

    // MARK: - Removing

    /// Removes whatever is at `relative` — a file, a symbolic link (not what it points to) or a
    /// folder with everything in it — if anything. A parent that is missing, a file or a link
    /// means nothing is there beneath the root: nothing is removed.
    public func remove(_ relative: String) throws(GitError) {
        try withParent(of: relative, creating: false) { (folder, name) throws(GitError) in
            try removeEntry(name, in: folder, relative: relative)
        }
    }

    /// Removes the file or symbolic link at `relative`, if there is one; a folder there is an
    /// error (the user's main working tree: a folder where a file was is someone's work).
    public func removeFile(_ relative: String) throws(GitError) {
        try withParent(of: relative, creating: false) { (folder, name) throws(GitError) in
            guard unlinkat(folder, name, 0) == 0 || errno == ENOENT else {
                throw failure("cannot delete a file", relative)
            }
        }
    }

    /// The names in the folder `relative` (`""`: the root), reached without following links;
    /// empty when it is not there.
    public func names(in relative: String) throws(GitError) -> [String] {
        var names: [String] = []
        let list = { (folder: Int32) throws(GitError) in
            let descriptor = openat(folder, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard descriptor >= 0, let stream = fdopendir(descriptor) else {
                throw failure("cannot list a folder", relative)
            }
            defer { closedir(stream) }
            while let entry = readdir(stream) {
                let name = withUnsafePointer(to: &entry.pointee.d_name) {
                    String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
                }
                if name != "." && name != ".." { names.append(name) }
            }
        }
        if relative.isEmpty {
            let root = try openRoot()
            defer { close(root) }
            try list(root)
        } else {
            try withParent(of: relative + "/.", creating: false, allowingDot: true) { (folder, _) throws(GitError) in
                try list(folder)
            }
        }
        return names
    }

    /// Removes the first symbolic link on the way to `relative`, the path itself included — and
    /// the path itself when it is a file with other hard links (one to a file outside, made by an
    /// agent: a checkout never makes them) — and says whether there was one. Run before anything
    /// (libgit2's checkout, which truncates a file in place) that resolves the path the ordinary way.
    @discardableResult
    public func removeLinks(along relative: String) throws(GitError) -> Bool {
        let components = try Self.components(of: relative)
        var folder = try openRoot()
        defer { close(folder) }
        for (position, component) in components.enumerated() {
            var info = stat()
            guard fstatat(folder, component, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return false }
            switch info.st_mode & S_IFMT {
            case S_IFLNK:
                guard unlinkat(folder, component, 0) == 0 || errno == ENOENT else {
                    throw failure("cannot remove a symbolic link", relative)
                }
                return true
            case S_IFREG where position == components.count - 1 && info.st_nlink > 1:
                guard unlinkat(folder, component, 0) == 0 || errno == ENOENT else {
                    throw failure("cannot remove a hard link", relative)
                }
                return true
            case S_IFDIR where position < components.count - 1:
                let next = openat(folder, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard next >= 0 else { return false }
                close(folder)
                folder = next
            default:
                return false
            }
        }
        return false
    }
}
