internal import Clibgit2
import Foundation

/// What a commit's tree holds, folder by folder: what the selection of a sparse worktree
/// (`WorktreePool.withWorktree(at:sparse:_:)`) is chosen from, read once per base.
public struct SparseTree: Sendable {
    public let base: ObjectID
    /// Every folder of the tree (the root, `""`, left out), parents before their children.
    public let folders: [String]
    /// Every blob (file or symbolic link) of the tree by path; submodules are left out.
    private let entries: [String: TreeEntry]
    /// The names of the blobs directly in each folder (`""`: the root).
    private let names: [String: [String]]
    private let repository: GitRepository

    /// The entry at `path`, if the tree has a file or link there.
    public func entry(_ path: String) -> TreeEntry? { entries[path] }

    /// The names of the files and links directly in `folder` (`""`: the root).
    public func files(in folder: String) -> [String] { names[folder] ?? [] }

    /// Whether the tree has a folder at `path`.
    public func isFolder(_ path: String) -> Bool { path.isEmpty || folderSet.contains(path) }
    /// `folders` as a set (clearing a slot keeps exactly these).
    let folderSet: Set<String>

    /// The stored bytes of the file at `path` (no filters applied); nil when the tree has no
    /// regular file there or it cannot be read.
    public func contents(of path: String) -> [UInt8]? {
        guard let entry = entries[path], entry.mode == .regular || entry.mode == .executable else { return nil }
        return try? repository.blob(entry.id)
    }

    /// Walks the tree of `base` once.
    static func read(_ repository: GitRepository, at base: ObjectID) throws(GitError) -> SparseTree {
        let repo = try repository.open()
        let tree = try repo.tree(ofCommit: base)
        final class Collected {
            var folders: [String] = []
            var entries: [String: TreeEntry] = [:]
            var names: [String: [String]] = [:]
        }
        let collected = Collected()
        let callback: git_treewalk_cb = { root, entry, payload in
            guard let entry, let payload else { return 0 }
            let collected = Unmanaged<Collected>.fromOpaque(payload).takeUnretainedValue()
            let folder = root.map { String(cString: $0) } ?? ""
            let name = String(cString: git_tree_entry_name(entry))
            let path = folder + name
            let parent = folder.hasSuffix("/") ? String(folder.dropLast()) : folder
            guard let mode = FileMode(git_tree_entry_filemode(entry)) else { return 0 }
            switch mode {
            case .tree:
                collected.folders.append(path)
            case .regular, .executable, .symlink:
                collected.entries[path] = TreeEntry(id: ObjectID(git_tree_entry_id(entry).pointee), mode: mode)
                collected.names[parent, default: []].append(name)
            case .submodule:
                break
            }
            return 0
        }
        let result = git_tree_walk(tree.pointer, GIT_TREEWALK_PRE, callback, Unmanaged.passUnretained(collected).toOpaque())
        try LibGit2.check(result, "listing the tree of \(base.short)")
        return SparseTree(
            base: base, folders: collected.folders, entries: collected.entries, names: collected.names,
            repository: repository, folderSet: Set(collected.folders))
    }

    private init(
        base: ObjectID, folders: [String], entries: [String: TreeEntry], names: [String: [String]], repository: GitRepository,
        folderSet: Set<String>
    ) {
        self.base = base
        self.folders = folders
        self.entries = entries
        self.names = names
        self.repository = repository
        self.folderSet = folderSet
    }
}
