import Foundation
public import StomperErrors

/// Reads and replaces files beneath a trusted folder without following a symbolic link in any
/// component of the path — a folder on the way replaced by a link to `/etc` or `../..` is
/// refused, never walked through.
///
/// The small primitive for modules that cannot use StomperGit's `ConfinedDirectory` (StomperQuality
/// applying a fixer's diff to a worktree file must not depend on the git layer). It walks one
/// `openat(O_NOFOLLOW | O_DIRECTORY)` per folder — what `ConfinedDirectory` falls back to where
/// `openat2` is missing — which for the one file a fix touches costs nothing worth an `openat2`
/// shim; the last component is opened, created and renamed relative to its folder's descriptor.
/// `root` itself is trusted.
public struct NoFollowFolder: Sendable {
    /// The folder paths are relative to.
    public let root: String

    public init(root: String) {
        self.root = root
    }

    /// The bytes and permission bits of the regular file at `relative`. A symbolic link at the
    /// file or on the way to it, or anything but a regular file there, is an error.
    public func readRegularFile(_ relative: String) throws(NoFollowError) -> (bytes: [UInt8], permissions: UInt32) {
        try withParent(of: relative) { (folder, name) throws(NoFollowError) in
            let descriptor = openat(folder, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
            guard descriptor >= 0 else {
                throw errno == ELOOP
                    ? NoFollowError(
                        .symbolicLink, "the file is a symbolic link; stomper does not read or write through it",
                        path: relative)
                    : failure("cannot open the file", relative)
            }
            defer { close(descriptor) }
            var info = stat()
            guard fstat(descriptor, &info) == 0 else { throw failure("cannot inspect the file", relative) }
            guard info.st_mode & S_IFMT == S_IFREG else {
                throw NoFollowError(.notRegularFile, "not a regular file", path: relative)
            }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = chunk.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw failure("cannot read the file", relative)
                }
                if count == 0 { break }
                bytes += chunk[0..<count]
            }
            return (bytes, UInt32(info.st_mode & 0o7777))
        }
    }

    /// Replaces the file at `relative` atomically (a temporary file beside it, renamed over it)
    /// by one holding `bytes` with exactly `permissions`. A link at the last component is
    /// replaced, not written through; a link on the way is an error. With `durable`, the new
    /// content is flushed before the rename and the folder after it, so a crash leaves the old or
    /// the new file, never an empty one; otherwise nothing is flushed.
    public func replaceFile(
        _ relative: String, with bytes: [UInt8], permissions: UInt32,
        durable: Bool = false
    ) throws(NoFollowError) {
        try withParent(of: relative) { (folder, name) throws(NoFollowError) in
            var temporary = ""
            var descriptor: Int32 = -1
            for _ in 0..<16 {
                temporary = "." + name + ".stomper-" + String(UInt64.random(in: 0...UInt64.max), radix: 36) + ".tmp"
                descriptor = openat(folder, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
                if descriptor >= 0 || errno != EEXIST { break }
            }
            guard descriptor >= 0 else { throw failure("cannot create a temporary file beside it", relative) }
            var problem: NoFollowError?
            var offset = 0
            while offset < bytes.count && problem == nil {
                let written = bytes.withUnsafeBytes { raw in Foundation.write(descriptor, raw.baseAddress! + offset, raw.count - offset) }
                if written >= 0 {
                    offset += written
                } else if errno != EINTR {
                    problem = failure("cannot write the temporary file", relative)
                }
            }
            if problem == nil && fchmod(descriptor, mode_t(permissions)) != 0 { problem = failure("cannot set the file's mode", relative) }
            if problem == nil && durable && fsync(descriptor) != 0 { problem = failure("cannot flush the new content to disk", relative) }
            // Closed exactly once: a second close could hit a descriptor another thread just opened.
            if close(descriptor) != 0 && problem == nil { problem = failure("cannot close the temporary file", relative) }
            if problem == nil && renameat(folder, temporary, folder, name) != 0 {
                problem = failure("cannot move the new content into place", relative)
            }
            if let problem {
                _ = unlinkat(folder, temporary, 0)
                throw problem
            }
            if durable && fsync(folder) != 0 { throw failure("cannot flush the folder to disk", relative) }
        }
    }

    /// Runs `body` with a descriptor of the folder holding `relative`'s last component, reached
    /// one component at a time with `O_NOFOLLOW`, and that component's name.
    private func withParent<T>(of relative: String, _ body: (Int32, String) throws(NoFollowError) -> T) throws(NoFollowError) -> T {
        var components = relative.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !components.isEmpty, components.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && !$0.contains("\0") }) else {
            throw NoFollowError(.invalidPath, "the path is absolute, empty or leaves its folder; stomper refuses it", path: relative)
        }
        let name = components.removeLast()
        var folder = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard folder >= 0 else { throw failure("cannot open the folder", root) }
        defer { close(folder) }
        for component in components {
            let next = openat(folder, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard next >= 0 else {
                var info = stat()
                if errno == ELOOP || errno == ENOTDIR,
                    fstatat(folder, component, &info, AT_SYMLINK_NOFOLLOW) == 0, info.st_mode & S_IFMT == S_IFLNK
                {
                    throw NoFollowError(
                        .symbolicLink,
                        "\(component) on the way to it is a symbolic link; stomper does not read or write through it",
                        path: relative)
                }
                throw failure("cannot open the folder \(component)", relative)
            }
            close(folder)
            folder = next
        }
        return try body(folder, name)
    }

    /// An `.io` error for the `errno` of the call that just failed, made where the caller is.
    private func failure(_ what: String, _ path: String, file: String = #fileID, line: UInt = #line) -> NoFollowError {
        let number = errno
        return NoFollowError(
            .io, "\(what): \(String(cString: strerror(number)))", path: path, errno: number,
            file: file, line: line)
    }
}

/// Why `NoFollowFolder` refused or failed; `path` is relative to its root. `detailedDescription`
/// adds the errno of a failed call and where the error was made.
public struct NoFollowError: StomperError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// A symbolic link at the path or on the way to it.
        public static let symbolicLink = Code("symbolicLink")
        /// Something other than a regular file at the path.
        public static let notRegularFile = Code("notRegularFile")
        /// An absolute or empty path, or one with `.` or `..`.
        public static let invalidPath = Code("invalidPath")
        /// The system refused a read or a write.
        public static let io = Code("io")
        public var description: String { name }
    }

    public var code: Code
    /// What happened.
    public var message: String
    public var path: String
    /// The C `errno` of the system call that failed (`.io`).
    public var errno: Int32?
    public var file: String
    public var line: UInt

    public init(_ code: Code, _ message: String, path: String, errno: Int32? = nil, file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.message = message
        self.path = path
        self.errno = errno
        self.file = file
        self.line = line
    }

    public var details: [ErrorDetail] { errno.map { [.errno($0)] } ?? [] }

    public var description: String { "\(path): \(message)" }
}
