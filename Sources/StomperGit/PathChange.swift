/// The new state of one path in a worktree, relative to the job's base commit.
public struct PathChange: Sendable, Hashable, Codable {
    /// The content of a path as git stores it: a blob's bytes, the mode, and the blob id.
    ///
    /// `bytes` are the blob, not the working file: what `git add` stores, after the
    /// to-object-store filters (end-of-line conversion, ident) the repository's configuration and
    /// attributes ask for at the path — LF where `text eol=crlf` or `core.autocrlf=true` make a
    /// checkout write CRLF. `id` is the blob id of exactly `bytes`. Whoever writes a content into a
    /// working tree writes what a checkout of the blob would (`git_blob_filter`); a symbolic
    /// link's bytes are its target. Binary files and paths without conversion have the same bytes
    /// on disk and in the blob.
    public struct Content: Sendable, Hashable, Codable {
        /// The blob's bytes (see above: not necessarily the working file's).
        public var bytes: [UInt8]
        public var mode: FileMode
        /// The blob id of `bytes`.
        public var id: ObjectID
        public init(bytes: [UInt8], mode: FileMode, id: ObjectID) {
            self.bytes = bytes
            self.mode = mode
            self.id = id
        }

        /// Content whose blob id is computed from the bytes (as git would, without writing).
        public init(bytes: [UInt8], mode: FileMode = .regular) throws(GitError) {
            self.init(bytes: bytes, mode: mode, id: try WorkingFile.hash(bytes))
        }
    }

    public enum Kind: String, Sendable, Codable {
        case added, deleted, modified, modeChanged
    }

    /// Slash-separated, relative to the repository root.
    public var path: String
    /// What the base commit holds at the path; nil if the path is new.
    public var old: TreeEntry?
    /// What the worktree holds at the path; nil if it was deleted.
    public var new: Content?

    public init(path: String, old: TreeEntry?, new: Content?) {
        self.path = path
        self.old = old
        self.new = new
    }

    public var kind: Kind {
        switch (old, new) {
        case (nil, _): return .added
        case (_, nil): return .deleted
        case let (old?, new?): return old.id == new.id ? .modeChanged : .modified
        }
    }

    /// Git's heuristic: a NUL byte in the first 8000 bytes means binary.
    public var isBinary: Bool {
        guard let bytes = new?.bytes else { return false }
        return bytes.prefix(8000).contains(0)
    }
}

/// Everything a job changed in its worktree, and the commit it started from.
public struct Patch: Sendable, Hashable, Codable {
    public var base: ObjectID
    public var changes: [PathChange]

    public init(base: ObjectID, changes: [PathChange]) {
        self.base = base
        self.changes = changes.sorted { $0.path < $1.path }
    }

    public var paths: [String] { changes.map(\.path) }
    public var isEmpty: Bool { changes.isEmpty }
}
