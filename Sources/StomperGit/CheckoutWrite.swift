internal import Clibgit2
import Foundation

extension RepositoryHandle {
    /// Writes `content` (a blob, see `PathChange.Content`) at `path` of the working tree behind
    /// `directory` as a checkout of `commit` writes it — the blob through the to-worktree filters
    /// the configuration and attributes ask for (CRLF where `eol=crlf`), at its mode — and points
    /// `index`'s entry at that blob with the written file's stat data, as a checkout records it.
    ///
    /// The entry names the blob itself, not a hash of the file read back, so the index matches
    /// the commit even where the filters do not round-trip (a blob that already holds CRLF), and
    /// the file is not read and hashed again. The blob must be in the object store.
    func checkOut(
        _ content: PathChange.Content, at path: String, in directory: ConfinedDirectory, index: IndexHandle,
        attributesFrom commit: ObjectID, durable: Bool = false
    ) throws(GitError) {
        var written = content
        if content.mode != .symlink {
            written.bytes = try filteredBlob(content.id, as: path, attributesFrom: commit)
        }
        try directory.write(written, at: path, durable: durable)
        guard let info = try directory.status(of: path) else {
            throw GitError(.io, "the file just written is gone (another process removed it); run stomper again", path: path)
        }
        try index.add(path, blob: content.id, mode: content.mode, written: info)
    }
}

extension IndexHandle {
    /// Sets the stage-0 entry of `path` to `blob` at `mode`, with the stat data of the file
    /// written there (`info`), so git takes the file as unchanged without hashing it again.
    func add(_ path: String, blob: ObjectID, mode: FileMode, written info: stat) throws(GitError) {
        var item = git_index_entry()
        item.ctime = git_index_time(
            seconds: Int32(truncatingIfNeeded: info.st_ctim.tv_sec),
            nanoseconds: UInt32(truncatingIfNeeded: info.st_ctim.tv_nsec))
        item.mtime = git_index_time(
            seconds: Int32(truncatingIfNeeded: info.st_mtim.tv_sec),
            nanoseconds: UInt32(truncatingIfNeeded: info.st_mtim.tv_nsec))
        item.dev = UInt32(truncatingIfNeeded: info.st_dev)
        item.ino = UInt32(truncatingIfNeeded: info.st_ino)
        item.mode = mode.rawValue
        item.uid = info.st_uid
        item.gid = info.st_gid
        item.file_size = UInt32(truncatingIfNeeded: info.st_size)
        item.id = blob.oid
        let result = path.withCString { pointer -> Int32 in
            item.path = pointer
            return git_index_add(self.pointer, &item)
        }
        try LibGit2.check(result, "adding to the index", path: path)
    }
}
