internal import Clibgit2
public import StomperErrors

/// The one error type of StomperGit.
///
/// `code` says what went wrong in stomper's terms; `libgit2` carries the library's own code,
/// class and message when a libgit2 call failed. `description` is one line; it never contains file
/// contents or diffs; `detailedDescription` adds the path, libgit2's code and class by name, the
/// underlying error and where the error was made.
public struct GitError: StomperError {
    /// What kind of failure this is. Extensible: new codes can be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case notARepository, bareRepository, detachedHead, unbornBranch
            case libgit2, io, objectNotFound
            case uncommittedChanges, baseChanged, branchMoved, indexLocked
            case worktree, invalidPath, restoreFailed
            case badBundle
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The path is not inside a git repository.
        public static let notARepository = Code(.notARepository)
        /// The repository has no working tree.
        public static let bareRepository = Code(.bareRepository)
        /// HEAD does not name a branch.
        public static let detachedHead = Code(.detachedHead)
        /// The branch has no commit yet.
        public static let unbornBranch = Code(.unbornBranch)
        /// A libgit2 call failed; see `libgit2`.
        public static let libgit2 = Code(.libgit2)
        /// A file-system operation failed; see `underlying`.
        public static let io = Code(.io)
        /// An object or path was not found where it was expected.
        public static let objectNotFound = Code(.objectNotFound)
        /// The main working tree or index has uncommitted changes to a path the landing would write.
        public static let uncommittedChanges = Code(.uncommittedChanges)
        /// The path changed on the branch since the job's base: the patch no longer applies as is.
        public static let baseChanged = Code(.baseChanged)
        /// The branch moved between reading it and updating it, more often than the retry budget.
        public static let branchMoved = Code(.branchMoved)
        /// `index.lock` exists: another git process holds the main index.
        public static let indexLocked = Code(.indexLocked)
        /// Creating, recycling or removing a worktree failed.
        public static let worktree = Code(.worktree)
        /// A path is absolute, escapes the repository, or is otherwise unusable.
        public static let invalidPath = Code(.invalidPath)
        /// Putting files back after a failed write failed too: the working tree holds content
        /// stomper did not mean to leave there. The message names the paths and what to do.
        public static let restoreFailed = Code(.restoreFailed)
        /// Bytes given as a git bundle are not one stomper can read: not a bundle, an unsupported
        /// version or capability, a malformed header, or a corrupt or truncated pack.
        public static let badBundle = Code(.badBundle)

        public var description: String { "\(value)" }
    }

    /// The error libgit2 reported, read from `git_error_last()` right after the failing call.
    public struct LibGit2Details: Hashable, Sendable {
        /// The return code of the call (`GIT_ENOTFOUND`, `GIT_ELOCKED`, …).
        public var code: Int32
        /// The error class (`GIT_ERROR_INDEX`, …).
        public var errorClass: Int32
        public var message: String
    }

    public var code: Code
    public var message: String
    public var path: String?
    public var libgit2: LibGit2Details?
    public var underlying: (any Error)?
    public var file: String
    public var line: UInt

    public init(
        _ code: Code, _ message: String, path: String? = nil, libgit2: LibGit2Details? = nil,
        underlying: (any Error)? = nil, file: String = #fileID, line: UInt = #line
    ) {
        self.code = code
        self.message = message
        self.path = path
        self.libgit2 = libgit2
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = message
        if let path { text += " (\(path))" }
        if let libgit2 { text += " [libgit2 \(libgit2.code)/\(libgit2.errorClass): \(libgit2.message)]" }
        return text
    }
}

extension GitError {
    public var details: [ErrorDetail] {
        var details: [ErrorDetail] = []
        if let path { details.append(ErrorDetail("path", path)) }
        if let libgit2 {
            details.append(
                ErrorDetail(
                    "libgit2",
                    "\(libgit2.codeName) (\(libgit2.code)), class \(libgit2.className) "
                        + "(\(libgit2.errorClass)): \(libgit2.message)"))
        }
        return details
    }
}

extension GitError.LibGit2Details {
    /// The name of `code` in libgit2's `git_error_code` (`GIT_ENOTFOUND`), `GIT_ERROR` for others.
    public var codeName: String {
        let names: [git_error_code: String] = [
            GIT_ENOTFOUND: "GIT_ENOTFOUND", GIT_EEXISTS: "GIT_EEXISTS", GIT_EAMBIGUOUS: "GIT_EAMBIGUOUS",
            GIT_EBUFS: "GIT_EBUFS", GIT_EUSER: "GIT_EUSER", GIT_EBAREREPO: "GIT_EBAREREPO",
            GIT_EUNBORNBRANCH: "GIT_EUNBORNBRANCH", GIT_EUNMERGED: "GIT_EUNMERGED",
            GIT_ENONFASTFORWARD: "GIT_ENONFASTFORWARD", GIT_EINVALIDSPEC: "GIT_EINVALIDSPEC",
            GIT_ECONFLICT: "GIT_ECONFLICT", GIT_ELOCKED: "GIT_ELOCKED", GIT_EMODIFIED: "GIT_EMODIFIED",
            GIT_EAUTH: "GIT_EAUTH", GIT_ECERTIFICATE: "GIT_ECERTIFICATE", GIT_EAPPLIED: "GIT_EAPPLIED",
            GIT_EPEEL: "GIT_EPEEL", GIT_EEOF: "GIT_EEOF", GIT_EINVALID: "GIT_EINVALID",
            GIT_EUNCOMMITTED: "GIT_EUNCOMMITTED", GIT_EDIRECTORY: "GIT_EDIRECTORY",
            GIT_EMERGECONFLICT: "GIT_EMERGECONFLICT", GIT_PASSTHROUGH: "GIT_PASSTHROUGH",
            GIT_ITEROVER: "GIT_ITEROVER", GIT_RETRY: "GIT_RETRY", GIT_EMISMATCH: "GIT_EMISMATCH",
            GIT_EINDEXDIRTY: "GIT_EINDEXDIRTY", GIT_EAPPLYFAIL: "GIT_EAPPLYFAIL",
        ]
        return names[git_error_code(rawValue: code)] ?? "GIT_ERROR"
    }

    /// The name of `errorClass` in libgit2's `git_error_t` (`GIT_ERROR_INDEX`).
    public var className: String {
        // In the order of `git_error_t` (libgit2 1.5), which numbers them from 0.
        let names = [
            "NONE", "NOMEMORY", "OS", "INVALID", "REFERENCE", "ZLIB", "REPOSITORY", "CONFIG", "REGEX", "ODB", "INDEX",
            "OBJECT", "NET", "TAG", "TREE", "INDEXER", "SSL", "SUBMODULE", "THREAD", "STASH", "CHECKOUT", "FETCHHEAD",
            "MERGE", "SSH", "FILTER", "REVERT", "CALLBACK", "CHERRYPICK", "DESCRIBE", "REBASE", "FILESYSTEM", "PATCH",
            "WORKTREE", "SHA", "HTTP", "INTERNAL",
        ]
        return names.indices.contains(Int(errorClass)) ? "GIT_ERROR_" + names[Int(errorClass)] : "unknown"
    }
}
