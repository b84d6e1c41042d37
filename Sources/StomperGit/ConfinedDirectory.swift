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
               info.st_nlink == 1, (info.st_mode & S_IXUSR != 0) == executable {
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
            let descriptor = openat(folder, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
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

    // MARK: - Parents

    /// Runs `body` with a descriptor of the folder holding `relative`'s last component, reached
    /// without following links, and that component's name. Without `creating`, a parent that is
    /// missing or not a folder means the path is not there: `body` does not run.
    private func withParent(of relative: String, creating: Bool, allowingDot: Bool = false,
                            _ body: (Int32, String) throws(GitError) -> Void) throws(GitError) {
        var components = try Self.components(of: relative, allowingDot: allowingDot)
        let name = components.removeLast()
        guard let folder = try openFolder(components, creating: creating, relative: relative) else { return }
        defer { close(folder) }
        try body(folder, name)
    }

    private func openRoot() throws(GitError) -> Int32 {
        let descriptor = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw GitError(.io, "cannot open a folder: \(String(cString: strerror(errno)))", path: root)
        }
        return descriptor
    }

    /// A descriptor of the folder `components` names beneath the root, or nil when it is not
    /// there and `creating` is false.
    private func openFolder(_ components: [String], creating: Bool, relative: String) throws(GitError) -> Int32? {
        let rootDescriptor = try openRoot()
        if components.isEmpty { return rootDescriptor }
        if !perComponent {
            let descriptor = stomper_openat2(rootDescriptor, components.joined(separator: "/"),
                                             UInt64(O_RDONLY | O_DIRECTORY | O_CLOEXEC), 0,
                                             UInt64(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS))
            if descriptor >= 0 {
                close(rootDescriptor)
                return descriptor
            }
            // ENOSYS: an old kernel. The others: a folder missing or something in the way,
            // which the walk below creates, replaces or refuses.
            guard [ENOSYS, ENOENT, ENOTDIR, ELOOP, EXDEV, EAGAIN].contains(errno) else {
                let error = failure("cannot open a folder", relative)
                close(rootDescriptor)
                throw error
            }
        }
        var folder = rootDescriptor
        for component in components {
            var next = openat(folder, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0 {
                let reason = errno
                guard creating, [ENOENT, ENOTDIR, ELOOP].contains(reason) else {
                    close(folder)
                    if [ENOENT, ENOTDIR, ELOOP].contains(reason) { return nil }
                    errno = reason
                    throw failure("cannot open a folder", relative)
                }
                if reason != ENOENT {
                    // A file or a symbolic link where a folder should be.
                    guard obstacles == .replace else {
                        close(folder)
                        throw GitError(.invalidPath,
                                       "\(component) on the way to this path is a file or a symbolic link, not a folder; "
                                       + "stomper does not write through it: move it away and run stomper again",
                                       path: relative)
                    }
                    guard unlinkat(folder, component, 0) == 0 || errno == ENOENT else {
                        let error = failure("cannot remove a file in the way of a folder", relative)
                        close(folder)
                        throw error
                    }
                }
                guard mkdirat(folder, component, 0o777) == 0 || errno == EEXIST else {
                    let error = failure("cannot create a folder", relative)
                    close(folder)
                    throw error
                }
                next = openat(folder, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard next >= 0 else {
                    let error = failure("cannot open a folder", relative)
                    close(folder)
                    throw error
                }
            }
            close(folder)
            folder = next
        }
        return folder
    }

    // MARK: - Primitives on a parent descriptor

    private func replace(_ relative: String, with bytes: [UInt8], create permissions: mode_t, exact: Bool,
                         durable: Bool) throws(GitError) {
        try withParent(of: relative, creating: true) { (folder, name) throws(GitError) in
            let temporary = Self.temporaryName()
            let descriptor = openat(folder, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, permissions)
            guard descriptor >= 0 else { throw failure("cannot create a file", relative) }
            do throws(GitError) {
                try writeAll(bytes, to: descriptor, relative: relative)
                if exact, fchmod(descriptor, permissions) != 0 { throw failure("cannot set a file's mode", relative) }
                if durable, fsync(descriptor) != 0 { throw failure("cannot flush a file to disk", relative) }
                close(descriptor)
            } catch {
                close(descriptor)
                unlinkat(folder, temporary, 0)
                throw error
            }
            if durable { Failpoint.hit("docs.write") }
            try rename(temporary, to: name, in: folder, relative: relative)
            // The rename is on disk only once the folder is.
            if durable { fsync(folder) }
        }
    }

    /// Renames `temporary` over `name` in `folder`; a folder in the way is removed first when
    /// obstacles may be replaced. The temporary is removed if the rename fails.
    private func rename(_ temporary: String, to name: String, in folder: Int32, relative: String) throws(GitError) {
        if renameat(folder, temporary, folder, name) == 0 { return }
        if [EISDIR, ENOTEMPTY, EEXIST].contains(errno), obstacles == .replace {
            do throws(GitError) {
                try removeEntry(name, in: folder, relative: relative)
            } catch {
                unlinkat(folder, temporary, 0)
                throw error
            }
            if renameat(folder, temporary, folder, name) == 0 { return }
        }
        let error = failure("cannot replace a file", relative)
        unlinkat(folder, temporary, 0)
        throw error
    }

    /// Removes `name` in `folder`: a link or file is unlinked, a folder emptied (recursively,
    /// never following a link) and removed. Missing is fine.
    private func removeEntry(_ name: String, in folder: Int32, relative: String) throws(GitError) {
        var info = stat()
        guard fstatat(folder, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT { return }
            throw failure("cannot inspect a file", relative)
        }
        if info.st_mode & S_IFMT != S_IFDIR {
            guard unlinkat(folder, name, 0) == 0 || errno == ENOENT else { throw failure("cannot remove a file", relative) }
            return
        }
        let descriptor = openat(folder, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure("cannot open a folder", relative) }
        guard let stream = fdopendir(descriptor) else {
            close(descriptor)
            throw failure("cannot list a folder", relative)
        }
        var children: [String] = []
        while let entry = readdir(stream) {
            let child = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if child != "." && child != ".." { children.append(child) }
        }
        do throws(GitError) {
            for child in children { try removeEntry(child, in: dirfd(stream), relative: relative + "/" + child) }
        } catch {
            closedir(stream)
            throw error
        }
        closedir(stream)
        guard unlinkat(folder, name, AT_REMOVEDIR) == 0 || errno == ENOENT else {
            throw failure("cannot remove a folder", relative)
        }
    }

    private func writeAll(_ bytes: [UInt8], to descriptor: Int32, relative: String) throws(GitError) {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure("cannot write a file", relative)
            }
            written += count
        }
    }

    private func failure(_ what: String, _ relative: String) -> GitError {
        GitError(.io, "\(what): \(String(cString: strerror(errno)))", path: root + "/" + relative)
    }

    static func temporaryName() -> String {
        ".stomper-\(UInt64.random(in: 0...UInt64.max)).tmp"
    }

    /// The components of a relative path; refuses absolute paths, `..`, `.` and empty components.
    static func components(of relative: String, allowingDot: Bool = false) throws(GitError) -> [String] {
        let components = relative.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        for (position, component) in components.enumerated() {
            let lastDot = allowingDot && position == components.count - 1 && component == "."
            if component.isEmpty || component == ".." || (component == "." && !lastDot) || component.contains("\0") {
                throw GitError(.invalidPath, "the path is absolute, empty or leaves its folder; stomper refuses to write it",
                               path: relative)
            }
        }
        return components
    }
}
