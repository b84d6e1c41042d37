/// The one error type of StomperGit.
///
/// `code` says what went wrong in stomper's terms; `libgit2` carries the library's own code,
/// class and message when a libgit2 call failed. `description` is one line; it never contains file
/// contents or diffs.
public struct GitError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is. Extensible: new codes can be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case notARepository, bareRepository, detachedHead, unbornBranch
            case libgit2, io, objectNotFound
            case uncommittedChanges, baseChanged, branchMoved, indexLocked
            case worktree, invalidPath, restoreFailed
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
