internal import Clibgit2
import Foundation

/// The folders of a pool's sparse worktrees: every folder of the base's tree, empty, plus the
/// few files a job's selection names, written as a checkout writes them. Blocking; no state.
///
/// A sparse worktree is a plain folder beside the pool's linked worktrees, with no `.git` link
/// and no index: what a job changed is found by listing it (it holds a few files), its files
/// are read and cleaned with the repository's own configuration and attributes, and clearing it
/// removes everything but the folders. The fixers that get one (autofix, the chat agent) run no
/// git; the sandbox keeps the common git directory read-only either way.
enum SparseSlots {
    /// Sparse slots are named `stomper-wt-<pid>-<random>-s<n>`: the pool's prefix, so a crashed
    /// run's leftovers are found and removed like its worktrees (they have no `.git` link, so
    /// they are never taken over).
    static func name(runTag: String, index: Int) -> String {
        WorktreeSlots.prefix + runTag + "-s\(index)"
    }

    /// Creates the empty folder of a new slot; the caller holds its `claim`.
    static func create(in repository: GitRepository, name: String) throws(GitError) -> String {
        let path = WorktreeSlots.directory(of: repository) + "/" + name
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
            throw GitError(.io, "cannot create a sparse worktree: \(String(cString: strerror(errno)))", path: path)
        }
        return path
    }

    /// Makes the slot at `path` hold `tree`'s folders and, of its files, exactly `paths`: what a
    /// checkout of `tree.base` writes there. Whatever an earlier job left is removed first (a
    /// link in place of a folder is removed, never followed).
    static func fill(
        path: String, repository: GitRepository, tree: SparseTree, paths: Set<String>
    ) throws(GitError) {
        try clear(path: path, folders: tree.folderSet)
        let repo = try repository.open()
        // Attributes are looked up in the slot's own `.gitattributes` files (the selection holds
        // those on the way to its files), then in the base commit's; the empty index keeps the
        // handle from parsing the main one.
        try repo.setWorkdir(path)
        try repo.useEmptyIndex()
        let target = try repo.tree(ofCommit: tree.base)
        try WorktreeSlots.restore(paths, of: target, at: tree.base, in: repo, root: path)
    }

    /// Removes every file, link and folder under `path` that is not one of `folders`, and makes
    /// the folders that are missing.
    static func clear(path: String, folders: Set<String>) throws(GitError) {
        let directory = ConfinedDirectory(root: path)
        var present = Set<String>()
        var removing: [String] = []
        for (relative, isFolder) in entries(under: path) {
            // Beneath something already going, nothing needs removing on its own.
            if let last = removing.last, relative.hasPrefix(last + "/") { continue }
            if isFolder && folders.contains(relative) {
                present.insert(relative)
            } else {
                removing.append(relative)
            }
        }
        // Removed through the confined directory: a link is removed, never followed.
        for relative in removing { try directory.remove(relative) }
        // Parents sort before their children.
        for folder in folders.subtracting(present).sorted() { try directory.makeFolder(folder) }
    }

    /// Every file and link under `path` (relative), folders left out: what a job may have written.
    static func files(under path: String) throws(GitError) -> [String] {
        entries(under: path).filter { !$0.isFolder }.map(\.relative)
    }

    /// Everything under `path`, parents before their children, with whether it is a folder. The
    /// walk never follows a link (a link is listed, as a link); it only reads. One walk of the
    /// tree's folders: at 50,000 files (500 folders) a few milliseconds.
    private static func entries(under path: String) -> [(relative: String, isFolder: Bool)] {
        guard let walker = FileManager.default.enumerator(atPath: path) else { return [] }
        var entries: [(relative: String, isFolder: Bool)] = []
        while let relative = walker.nextObject() as? String {
            // `lstat`, not the walker's attributes (which look up the owner's and group's names).
            var info = stat()
            let isFolder = lstat(path + "/" + relative, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
            entries.append((relative, isFolder))
        }
        return entries
    }
}

extension RepositoryHandle {
    /// Points this handle's working tree at `path` without writing anything (no `.git` link).
    func setWorkdir(_ path: String) throws(GitError) {
        try LibGit2.check(git_repository_set_workdir(pointer, path, 0), "setting the working folder", path: path)
    }
}
