internal import Clibgit2
import Foundation

/// The descriptor work beneath the public operations: reaching a parent folder without following
/// a link (`openat2`, or one `openat(O_NOFOLLOW)` per component), and the primitives run on it.
extension ConfinedDirectory {
    // MARK: - Parents

    /// Runs `body` with a descriptor of the folder holding `relative`'s last component, reached
    /// without following links, and that component's name. Without `creating`, a parent that is
    /// missing or not a folder means the path is not there: `body` does not run.
    func withParent(
        of relative: String, creating: Bool, allowingDot: Bool = false,
        _ body: (Int32, String) throws(GitError) -> Void
    ) throws(GitError) {
        var components = try Self.components(of: relative, allowingDot: allowingDot)
        let name = components.removeLast()
        guard let folder = try openFolder(components, creating: creating, relative: relative) else { return }
        defer { close(folder) }
        try body(folder, name)
    }

    func openRoot() throws(GitError) -> Int32 {
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
            let descriptor = stomper_openat2(
                rootDescriptor, components.joined(separator: "/"),
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
                        throw GitError(
                            .invalidPath,
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

    func replace(
        _ relative: String, with bytes: [UInt8], create permissions: mode_t, exact: Bool,
        durable: Bool
    ) throws(GitError) {
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
    func rename(_ temporary: String, to name: String, in folder: Int32, relative: String) throws(GitError) {
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
    func removeEntry(_ name: String, in folder: Int32, relative: String) throws(GitError) {
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

    func writeAll(_ bytes: [UInt8], to descriptor: Int32, relative: String) throws(GitError) {
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

    func failure(_ what: String, _ relative: String) -> GitError {
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
                throw GitError(
                    .invalidPath, "the path is absolute, empty or leaves its folder; stomper refuses to write it",
                    path: relative)
            }
        }
        return components
    }
}
