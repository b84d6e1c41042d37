import Foundation
import StomperGit

/// Puts a linked worktree's `.git` file back as `original` if an agent changed, removed or
/// replaced it (by a folder, or by a symbolic link into the main repository's `.git` or anywhere
/// else), and returns `[".git"]` if it did, `[]` if it was intact.
///
/// Nothing is read or written through a link: the file is opened with `O_NOFOLLOW`, whatever is
/// in its place is removed as itself (`ConfinedDirectory`), and the original is written
/// atomically, mode 0644. A restore that fails throws `CoreError.restoreFailed`: without its `.git`
/// file the worktree's git commands would run against whatever the agent left there.
func restoreWorktreeLink(at path: String, original: Data?) throws(CoreError) -> [String] {
    let root = (path as NSString).deletingLastPathComponent
    let name = (path as NSString).lastPathComponent
    var info = stat()
    let exists = lstat(path, &info) == 0
    if exists, info.st_mode & S_IFMT == S_IFREG {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        if descriptor >= 0 {
            let current = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true).readDataToEndOfFile()
            if current == original { return [] }
        }
    } else if !exists && original == nil {
        return []
    }
    let directory = ConfinedDirectory(root: root)
    do throws(GitError) {
        try directory.remove(name)
        if let original { try directory.replace(name, with: [UInt8](original), permissions: 0o644) }
    } catch {
        throw CoreError(
            .restoreFailed,
            "cannot restore the worktree's .git file after an agent changed it (\(error)); stop the run, remove "
                + "the worktree with `git worktree remove --force \(root)` and resume",
            underlying: error)
    }
    return [".git"]
}

/// The `.git` file at the root of a linked worktree, which points git at the worktree's git
/// directory. An agent that replaces or edits it is writing under `.git`.
struct WorktreeLink {
    let path: String
    let original: Data?

    init(worktree: String) {
        path = worktree + "/.git"
        original = FileManager.default.contents(atPath: path)
    }

    /// Puts the original back if it changed, never through a link; returns `[".git"]` if it did.
    /// A restore that fails throws: the worktree's git commands would run against what the agent left.
    func restoreIfChanged() throws -> [String] { try restoreWorktreeLink(at: path, original: original) }
}
