internal import Clibgit2

extension GitRepository {
    /// A git bundle v2 holding every object reachable from `tip` and not from `prerequisites`,
    /// with one ref, `ref` (a full name such as `refs/heads/stomper/shard-1-of-3`), at `tip`.
    ///
    /// The header is `# v2 git bundle`, a `-<id> <subject>` line per prerequisite, `<id> <ref>`
    /// and a blank line; a packfile made by `git_packbuilder` follows. `git bundle verify` and
    /// `git fetch` accept it in any repository that has the prerequisites. Every prerequisite
    /// and `tip` must be commits of this repository.
    ///
    /// The objects come from libgit2's walk of `tip` minus the prerequisites. In a shallow clone
    /// (which libgit2 1.5.1 does not know) hiding the boundary commit needs its missing parents
    /// and the walk fails; the objects are then found by a walk of our own that stops at the
    /// prerequisites and leaves out everything in their trees.
    public func writeBundle(tip: ObjectID, ref: String, prerequisites: [ObjectID]) throws(GitError) -> [UInt8] {
        LibGit2.ensureInitialised()
        var valid: Int32 = 0
        guard ref.hasPrefix("refs/"), git_reference_name_is_valid(&valid, ref) == 0, valid == 1 else {
            throw GitError(
                .badBundle, "`\(ref)` is not a valid full ref name for a bundle: pass one such as refs/heads/stomper/shard-1-of-3")
        }
        let repo = try open()
        guard try repo.commitIfPresent(tip) != nil else {
            throw GitError(.objectNotFound, "cannot bundle \(ref): commit \(tip.hex) is not in this repository", path: workdir)
        }
        var unique: [ObjectID] = []
        var header = GitBundleHeader.v2Signature + "\n"
        for prerequisite in prerequisites where !unique.contains(prerequisite) {
            guard let commit = try repo.commitIfPresent(prerequisite) else {
                throw GitError(
                    .objectNotFound,
                    "cannot bundle \(ref) against \(prerequisite.hex): that commit is not in this repository; "
                        + "pass the shard's base commit as the prerequisite", path: workdir)
            }
            unique.append(prerequisite)
            // One line per prerequisite: a subject with a line break would start a new header line.
            let subject = git_commit_summary(commit.pointer).map { String(cString: $0) } ?? ""
            let oneLine = String(subject.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
            header += "-\(prerequisite.hex)" + (oneLine.isEmpty ? "" : " " + oneLine) + "\n"
        }
        header += "\(tip.hex) \(ref)\n\n"
        let pack = try repo.pack(tip: tip, excluding: unique)
        return Array(header.utf8) + pack
    }

    /// The header of a git bundle: its prerequisites and refs. Reads v2, and v3 whose only
    /// capability is `object-format=sha1`; anything else is a `.badBundle` error saying why.
    public static func bundleHeader(_ bytes: [UInt8]) throws(GitError) -> GitBundleHeader {
        try GitBundleHeader.parse(bytes).header
    }

    /// Adds a bundle's objects to this repository's object store and returns its refs. No ref
    /// moves: the caller decides what to point at the returned ids.
    ///
    /// Every prerequisite must be a commit already here (else an `.objectNotFound` error naming
    /// it). The pack goes through libgit2's indexer (`git_odb_write_pack`), which checks every
    /// object and its checksum, completes a thin pack (`git bundle create` makes those) from the
    /// objects here, and only then moves the `.pack` and `.idx` into `objects/pack`: a corrupt
    /// or truncated bundle is a `.badBundle` error and leaves the object store as it was.
    /// Afterwards every ref's object, and a commit's tree, must be present.
    public func importBundle(_ bytes: [UInt8]) throws(GitError) -> [GitBundleRef] {
        let (header, packStart) = try GitBundleHeader.parse(bytes)
        let repo = try open()
        for prerequisite in header.prerequisites {
            if try repo.commitIfPresent(prerequisite) != nil { continue }
            throw GitError(
                .objectNotFound,
                "the bundle of \(header.refNames) needs commit \(prerequisite.hex), which this repository does not "
                    + "have: fetch the shard's base commit first (`git fetch origin \(prerequisite.hex)`), then "
                    + "import the bundle again", path: workdir)
        }
        try repo.writePack(Array(bytes[packStart...]), of: header)
        for ref in header.refs {
            guard try repo.hasObject(ref.id) else {
                throw GitError(
                    .badBundle,
                    "the bundle's pack does not hold \(ref.id.hex), the object of \(ref.name): the bundle is "
                        + "incomplete; make it again from the shard's branch", path: workdir)
            }
            if let commit = try repo.commitIfPresent(ref.id) {
                let tree = ObjectID(git_commit_tree_id(commit.pointer).pointee)
                guard try repo.hasObject(tree) else {
                    throw GitError(
                        .badBundle,
                        "the bundle's pack lacks tree \(tree.hex) of \(ref.name): the bundle is incomplete; make it "
                            + "again from the shard's branch", path: workdir)
                }
            }
        }
        return header.refs
    }
}

/// Owns a `git_packbuilder`.
final class PackBuilderHandle {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_packbuilder_free(pointer) }

    static func new(_ repo: RepositoryHandle) throws(GitError) -> PackBuilderHandle {
        var out: OpaquePointer?
        try LibGit2.check(git_packbuilder_new(&out, repo.pointer), "starting a pack")
        return PackBuilderHandle(out!)
    }

    func insert(_ id: ObjectID, name: String?) throws(GitError) {
        var oid = id.oid
        try LibGit2.check(git_packbuilder_insert(pointer, &oid, name), "adding \(id.short) to the pack")
    }

    func bytes() throws(GitError) -> [UInt8] {
        var buffer = git_buf()
        defer { git_buf_dispose(&buffer) }
        try LibGit2.check(git_packbuilder_write_buf(&buffer, pointer), "writing the pack")
        guard let start = buffer.ptr, buffer.size > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: start, count: buffer.size))
    }
}

extension RepositoryHandle {
    /// A pack of every object reachable from `tip` and not from `prerequisites`.
    func pack(tip: ObjectID, excluding prerequisites: [ObjectID]) throws(GitError) -> [UInt8] {
        if let builder = try packByRevwalk(tip: tip, excluding: prerequisites) { return try builder.bytes() }
        return try packByHand(tip: tip, excluding: prerequisites).bytes()
    }

    /// libgit2's own selection; nil when its walk fails (a shallow clone's boundary).
    private func packByRevwalk(tip: ObjectID, excluding prerequisites: [ObjectID]) throws(GitError) -> PackBuilderHandle? {
        var walk: OpaquePointer?
        try LibGit2.check(git_revwalk_new(&walk, pointer), "starting a history walk")
        defer { git_revwalk_free(walk) }
        var tipOid = tip.oid
        guard git_revwalk_push(walk, &tipOid) == 0 else { return nil }
        for prerequisite in prerequisites {
            var oid = prerequisite.oid
            guard git_revwalk_hide(walk, &oid) == 0 else { return nil }
        }
        let builder = try PackBuilderHandle.new(self)
        guard git_packbuilder_insert_walk(builder.pointer, walk) == 0 else { return nil }
        return builder
    }

    /// The commits from `tip` down to the prerequisites (by parents), each with the trees and
    /// blobs not already in a prerequisite's tree: what `git_packbuilder_insert_walk` selects
    /// when the walk can hide the prerequisites.
    private func packByHand(tip: ObjectID, excluding prerequisites: [ObjectID]) throws(GitError) -> PackBuilderHandle {
        var known = Set<ObjectID>()
        for prerequisite in prerequisites {
            try collectTree(try tree(ofCommit: prerequisite), into: &known)
        }
        let builder = try PackBuilderHandle.new(self)
        let stops = Set(prerequisites)
        var queue = [tip]
        var seen: Set<ObjectID> = [tip]
        var next = 0
        while next < queue.count {
            let id = queue[next]
            next += 1
            if stops.contains(id) { continue }
            guard let commit = try commitIfPresent(id) else {
                throw GitError(
                    .objectNotFound,
                    "commit \(id.hex), in the history of \(tip.short) above the prerequisites, is not in this "
                        + "repository (a shallow clone?): fetch more history (`git fetch --deepen`) or bundle "
                        + "against a later base")
            }
            try builder.insert(id, name: nil)
            try insertTree(try tree(ofCommit: id), path: "", into: builder, known: &known)
            for index in 0..<git_commit_parentcount(commit.pointer) {
                guard let raw = git_commit_parent_id(commit.pointer, index) else { continue }
                let parent = ObjectID(raw.pointee)
                if seen.insert(parent).inserted { queue.append(parent) }
            }
        }
        return builder
    }

    /// Every tree and blob id under `tree`.
    private func collectTree(_ tree: TreeHandle, into known: inout Set<ObjectID>) throws(GitError) {
        guard known.insert(tree.id).inserted else { return }
        for index in 0..<git_tree_entrycount(tree.pointer) {
            guard let entry = git_tree_entry_byindex(tree.pointer, index) else { continue }
            let id = ObjectID(git_tree_entry_id(entry).pointee)
            switch git_tree_entry_type(entry) {
            case GIT_OBJECT_TREE: try collectTree(try self.tree(id), into: &known)
            case GIT_OBJECT_BLOB: known.insert(id)
            default: continue
            }
        }
    }

    /// Adds `tree` and what it holds to the pack, except objects in `known` (a tree known is
    /// known with everything under it). Submodule commits are not ours to send.
    private func insertTree(
        _ tree: TreeHandle, path: String, into builder: PackBuilderHandle, known: inout Set<ObjectID>
    ) throws(GitError) {
        guard known.insert(tree.id).inserted else { return }
        try builder.insert(tree.id, name: path.isEmpty ? nil : path)
        for index in 0..<git_tree_entrycount(tree.pointer) {
            guard let entry = git_tree_entry_byindex(tree.pointer, index) else { continue }
            let id = ObjectID(git_tree_entry_id(entry).pointee)
            let name = String(cString: git_tree_entry_name(entry))
            let entryPath = path.isEmpty ? name : path + "/" + name
            switch git_tree_entry_type(entry) {
            case GIT_OBJECT_TREE:
                try insertTree(try self.tree(id), path: entryPath, into: builder, known: &known)
            case GIT_OBJECT_BLOB:
                // The path is the packer's hint for finding delta bases among same-named blobs.
                if known.insert(id).inserted { try builder.insert(id, name: entryPath) }
            default: continue
            }
        }
    }

    func hasObject(_ id: ObjectID) throws(GitError) -> Bool {
        var odb: OpaquePointer?
        try LibGit2.check(git_repository_odb(&odb, pointer), "opening the object store")
        defer { git_odb_free(odb) }
        var oid = id.oid
        return git_odb_exists(odb, &oid) == 1
    }

    /// Indexes `pack` into `objects/pack`. A pack of no objects is checked and not written.
    fileprivate func writePack(_ pack: [UInt8], of header: GitBundleHeader) throws(GitError) {
        let count = try Self.packObjectCount(pack, of: header)
        if count == 0 { return }
        var odb: OpaquePointer?
        try LibGit2.check(git_repository_odb(&odb, pointer), "opening the object store")
        defer { git_odb_free(odb) }
        var out: UnsafeMutablePointer<git_odb_writepack>?
        try LibGit2.check(git_odb_write_pack(&out, odb, nil, nil), "starting to write a pack")
        guard let writer = out, let append = writer.pointee.append, let commit = writer.pointee.commit else {
            throw GitError(.libgit2, "libgit2 returned a pack writer without its functions")
        }
        // Frees the indexer and removes its temporary files if the pack never committed.
        defer { writer.pointee.free?(writer) }
        var stats = git_indexer_progress()
        let appended = pack.withUnsafeBytes { append(writer, $0.baseAddress, $0.count, &stats) }
        if appended < 0 { throw Self.corruptPack(appended, header) }
        let committed = commit(writer, &stats)
        if committed < 0 { throw Self.corruptPack(committed, header) }
    }

    /// The object count of a pack's header (`PACK`, version 2 or 3, count), checked.
    private static func packObjectCount(_ pack: [UInt8], of header: GitBundleHeader) throws(GitError) -> UInt32 {
        let checksumLength = 20
        guard pack.count >= 12 + checksumLength, pack.starts(with: Array("PACK".utf8)) else {
            throw GitError(
                .badBundle,
                "the bundle of \(header.refNames) has no pack after its header (\(pack.count) bytes that do not "
                    + "start with `PACK`): the file is truncated or corrupt; make the bundle again")
        }
        let version = pack[4..<8].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let count = pack[8..<12].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard version == 2 || version == 3 else {
            throw GitError(.badBundle, "the bundle of \(header.refNames) holds a pack of version \(version); git writes 2 or 3")
        }
        if count == 0 && pack.count != 12 + checksumLength {
            throw GitError(.badBundle, "the bundle of \(header.refNames) holds an empty pack followed by extra bytes: it is corrupt")
        }
        return count
    }

    private static func corruptPack(_ result: Int32, _ header: GitBundleHeader) -> GitError {
        GitError(
            .badBundle,
            "the pack in the bundle of \(header.refNames) is corrupt or truncated; nothing was imported: make "
                + "the bundle again from the shard's branch", libgit2: LibGit2.details(result))
    }
}
