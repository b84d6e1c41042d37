internal import Clibgit2
import Foundation

// Owners of libgit2 handles. Each frees its pointer in `deinit`; none is Sendable, because a
// libgit2 object may only be used by one thread at a time (libgit2 threading.md). Handles are
// opened inside the blocking closure that uses them and never cross a task boundary — except the
// branch writer's, which lives as long as the writer and is only used on its serial queue.

final class RepositoryHandle {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_repository_free(pointer) }

    static func open(_ path: String) throws(GitError) -> RepositoryHandle {
        LibGit2.ensureInitialised()
        var out: OpaquePointer?
        try LibGit2.check(
            git_repository_open_ext(&out, path, UInt32(GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue), nil),
            "opening the repository", path: path)
        return RepositoryHandle(out!)
    }

    func headCommitID() throws(GitError) -> ObjectID? {
        var oid = git_oid()
        let result = git_reference_name_to_id(&oid, pointer, "HEAD")
        if result == GIT_ENOTFOUND.rawValue || result == GIT_EUNBORNBRANCH.rawValue { return nil }
        try LibGit2.check(result, "resolving HEAD")
        return ObjectID(oid)
    }

    func commit(_ id: ObjectID) throws(GitError) -> CommitHandle {
        var oid = id.oid
        var out: OpaquePointer?
        try LibGit2.check(git_commit_lookup(&out, pointer, &oid), "looking up commit \(id.short)")
        return CommitHandle(out!)
    }

    func tree(ofCommit id: ObjectID) throws(GitError) -> TreeHandle {
        let commit = try commit(id)
        var out: OpaquePointer?
        try LibGit2.check(git_commit_tree(&out, commit.pointer), "reading the tree of \(id.short)")
        return TreeHandle(out!)
    }

    func tree(_ id: ObjectID) throws(GitError) -> TreeHandle {
        var oid = id.oid
        var out: OpaquePointer?
        try LibGit2.check(git_tree_lookup(&out, pointer, &oid), "looking up tree \(id.short)")
        return TreeHandle(out!)
    }

    func index() throws(GitError) -> IndexHandle {
        var out: OpaquePointer?
        try LibGit2.check(git_repository_index(&out, pointer), "opening the index")
        return IndexHandle(out!)
    }

    func blob(_ id: ObjectID) throws(GitError) -> [UInt8] {
        var oid = id.oid
        var out: OpaquePointer?
        try LibGit2.check(git_blob_lookup(&out, pointer, &oid), "looking up blob \(id.short)")
        defer { git_blob_free(out) }
        let size = Int(git_blob_rawsize(out))
        guard size > 0, let raw = git_blob_rawcontent(out) else { return [] }
        return Array(UnsafeRawBufferPointer(start: raw, count: size))
    }

    /// A blob as a checkout writes it at `path`: with the filters (end of line, ident) that the
    /// configuration and the attributes ask for — the working tree's `.gitattributes` files, then
    /// the handle's index, then `commit`'s.
    ///
    /// As libgit2's checkout does, binary content is left to the filters to judge: `text=auto`
    /// leaves it alone, `text` set outright converts it (`git_blob_filter`'s own binary check,
    /// on by default, is turned off so this matches a checkout and `cleaned`).
    func filteredBlob(_ id: ObjectID, as path: String, attributesFrom commit: ObjectID) throws(GitError) -> [UInt8] {
        var oid = id.oid
        var blob: OpaquePointer?
        try LibGit2.check(git_blob_lookup(&blob, pointer, &oid), "looking up blob \(id.short)", path: path)
        defer { git_blob_free(blob) }
        var options = git_blob_filter_options()
        try LibGit2.check(
            git_blob_filter_options_init(&options, UInt32(GIT_BLOB_FILTER_OPTIONS_VERSION)),
            "initialising filter options")
        options.flags = GIT_BLOB_FILTER_ATTRIBUTES_FROM_COMMIT.rawValue
        options.attr_commit_id = commit.oid
        var buffer = git_buf()
        defer { git_buf_dispose(&buffer) }
        try LibGit2.check(git_blob_filter(&buffer, blob, path, &options), "filtering blob \(id.short)", path: path)
        guard let start = buffer.ptr, buffer.size > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: start, count: buffer.size))
    }

    /// `bytes` read from the working file at `path` as `git add` stores them: through the
    /// to-object-store filters (end of line, ident) that the configuration and the attributes ask
    /// for — the working tree's `.gitattributes` files, then the handle's index, then `commit`'s.
    /// The end-of-line filter also looks at the index entry of `path` (`core.autocrlf` leaves a
    /// file alone whose indexed blob already holds a CR, as git does).
    ///
    /// `core.safecrlf=true` is not enforced (`GIT_FILTER_ALLOW_UNSAFE`): a file with mixed line
    /// endings is normalized, as with git's default, rather than failing the job.
    func cleaned(_ bytes: [UInt8], as path: String, attributesFrom commit: ObjectID) throws(GitError) -> [UInt8] {
        var options = git_filter_options()
        options.version = UInt32(GIT_FILTER_OPTIONS_VERSION)
        options.flags = GIT_FILTER_ALLOW_UNSAFE.rawValue | GIT_FILTER_ATTRIBUTES_FROM_COMMIT.rawValue
        options.attr_commit_id = commit.oid
        var filters: OpaquePointer?
        try LibGit2.check(
            git_filter_list_load_ext(&filters, pointer, nil, path, GIT_FILTER_TO_ODB, &options),
            "loading the filters for the file", path: path)
        // No filter applies: the bytes are the blob.
        guard let filters else { return bytes }
        defer { git_filter_list_free(filters) }
        var buffer = git_buf()
        defer { git_buf_dispose(&buffer) }
        let storage = bytes.isEmpty ? [0] : bytes
        let result = storage.withUnsafeBytes { raw in
            git_filter_list_apply_to_buffer(&buffer, filters, raw.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count)
        }
        try LibGit2.check(result, "filtering the file as git add would", path: path)
        guard let start = buffer.ptr, buffer.size > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: start, count: buffer.size))
    }

    /// From now on, objects this handle writes go to memory (freed with the handle), not to
    /// `.git/objects`; reads still see both.
    func writeObjectsInMemory() throws(GitError) {
        var odb: OpaquePointer?
        try LibGit2.check(git_repository_odb(&odb, pointer), "opening the object store")
        defer { git_odb_free(odb) }
        var backend: OpaquePointer?
        try LibGit2.check(git_mempack_new(&backend), "creating an in-memory object store")
        // Above the loose (1) and pack (2) backends, so writes land here. The store owns it now.
        try LibGit2.check(git_odb_add_backend(odb, backend, 1000), "adding the in-memory object store")
    }

    /// `parent` with `changes` applied: their blobs written, then only the trees on their paths
    /// rebuilt (`git_tree_create_updated`, O(depth), no index). Modes come from the changes.
    func tree(applying changes: [PathChange], to parent: TreeHandle) throws(GitError) -> TreeHandle {
        var updates: [(path: String, entry: TreeEntry?)] = []
        for change in changes {
            updates.append(
                (
                    change.path,
                    try change.new.map { (new) throws(GitError) in
                        TreeEntry(id: try writeBlob(new.bytes), mode: new.mode)
                    }
                ))
        }
        return try tree(updating: parent, updates)
    }

    /// `parent` with each path set to its entry (an object already stored), or removed where the
    /// entry is nil; only the trees on those paths are rebuilt.
    func tree(updating parent: TreeHandle, _ updates: [(path: String, entry: TreeEntry?)]) throws(GitError) -> TreeHandle {
        var paths = CStringArray(updates.map(\.path))
        let treeOid = try paths.withPointers { (pointers) throws(GitError) -> git_oid in
            var gitUpdates: [git_tree_update] = []
            for (index, item) in updates.enumerated() {
                var update = git_tree_update()
                update.action = item.entry == nil ? GIT_TREE_UPDATE_REMOVE : GIT_TREE_UPDATE_UPSERT
                update.id = item.entry?.id.oid ?? git_oid()
                update.filemode = (item.entry?.mode ?? .regular).gitMode
                update.path = UnsafePointer(pointers[index])
                gitUpdates.append(update)
            }
            var treeOid = git_oid()
            try LibGit2.check(
                git_tree_create_updated(&treeOid, pointer, parent.pointer, gitUpdates.count, &gitUpdates),
                "building the new tree")
            return treeOid
        }
        return try tree(ObjectID(treeOid))
    }

    /// Gives the handle an empty in-memory index, so nothing it does parses the index file
    /// (a diff looks up attributes in the working tree's files, then in the index).
    func useEmptyIndex() throws(GitError) {
        try useIndex(holding: [])
    }

    /// Gives the handle an in-memory index holding only `entries`, so nothing it does parses the
    /// index file. Filtering a file looks at its own index entry (see `cleaned`): a pool
    /// worktree's index holds the base's entries, so those of the paths to filter are enough.
    func useIndex(holding entries: [(path: String, entry: TreeEntry)]) throws(GitError) {
        var index: OpaquePointer?
        try LibGit2.check(git_index_new(&index), "creating an in-memory index")
        defer { git_index_free(index) }
        for (path, entry) in entries where entry.mode.isBlob {
            var item = git_index_entry()
            item.mode = entry.mode.rawValue
            item.id = entry.id.oid
            let result = path.withCString { pointer -> Int32 in
                item.path = pointer
                return git_index_add(index, &item)
            }
            try LibGit2.check(result, "filling an in-memory index", path: path)
        }
        try LibGit2.check(git_repository_set_index(pointer, index), "setting the in-memory index")
    }

    /// The tree with no entries, written to the object store (in memory after `writeObjectsInMemory`).
    func emptyTree() throws(GitError) -> TreeHandle {
        var builder: OpaquePointer?
        try LibGit2.check(git_treebuilder_new(&builder, pointer, nil), "creating a tree builder")
        defer { git_treebuilder_free(builder) }
        var oid = git_oid()
        try LibGit2.check(git_treebuilder_write(&oid, builder), "writing the empty tree")
        return try tree(ObjectID(oid))
    }

    func writeBlob(_ bytes: [UInt8]) throws(GitError) -> ObjectID {
        var oid = git_oid()
        let result = bytes.withUnsafeBytes { git_blob_create_from_buffer(&oid, pointer, $0.baseAddress, $0.count) }
        try LibGit2.check(result, "writing a blob")
        return ObjectID(oid)
    }

    var workdir: String? {
        git_repository_workdir(pointer).map { String(cString: $0) }
    }

    var commonDir: String {
        String(cString: git_repository_commondir(pointer))
    }

    var gitDir: String {
        String(cString: git_repository_path(pointer))
    }
}

final class CommitHandle {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_commit_free(pointer) }
}

final class TreeHandle {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_tree_free(pointer) }

    var id: ObjectID { ObjectID(git_tree_id(pointer).pointee) }

    /// The entry at a slash-separated path, or nil when nothing is there.
    func entry(at path: String) throws(GitError) -> TreeEntry? {
        var out: OpaquePointer?
        let result = git_tree_entry_bypath(&out, pointer, path)
        if result == GIT_ENOTFOUND.rawValue { return nil }
        try LibGit2.check(result, "reading tree entry", path: path)
        defer { git_tree_entry_free(out) }
        guard let mode = FileMode(git_tree_entry_filemode(out)) else { return nil }
        return TreeEntry(id: ObjectID(git_tree_entry_id(out).pointee), mode: mode)
    }
}

final class IndexHandle {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_index_free(pointer) }
}

/// Keeps C strings alive for the duration of a call that takes a `git_strarray`.
struct CStringArray: ~Copyable {
    private var pointers: [UnsafeMutablePointer<CChar>?]

    init(_ strings: [String]) {
        pointers = strings.map { strdup($0) }
    }

    deinit {
        for pointer in pointers { free(pointer) }
    }

    mutating func withPointers<R>(_ body: ([UnsafeMutablePointer<CChar>?]) throws(GitError) -> R) throws(GitError) -> R {
        try body(pointers)
    }

    mutating func withStrArray<R>(_ body: (git_strarray) throws(GitError) -> R) throws(GitError) -> R {
        let count = pointers.count
        return try pointers.withUnsafeMutableBufferPointer { (buffer) throws(GitError) -> R in
            try body(git_strarray(strings: buffer.baseAddress, count: count))
        }
    }
}
