import Foundation

/// The critical section every stomper process's landings share: `flock` on
/// `.git/stomper/landing.lock`. The main index is one file that each landing reads, edits and
/// rewrites; two processes interleaving those steps would lose one's index entries. The kernel
/// drops the lock when its holder dies, so a killed process never leaves it held.
///
/// git's own lock files are another matter: a process killed while libgit2 was writing the index
/// or moving the branch leaves `.git/index.lock` or `.git/refs/heads/<branch>.lock`, and every
/// later write (stomper's, and the user's `git commit`) fails on it. So the holder writes its pid
/// into the lock file on entry and empties it on the way out. A taker that finds it non-empty
/// knows the last holder died inside; the lock files named in `clearing` that are no older than
/// that entry (the file's mtime) are that holder's and are removed. Older ones predate it and
/// belong to some other git process: they are left, and the landing reports them.
enum LandingLock {
    /// The longest a landing waits for another process's landing (a landing takes milliseconds;
    /// only a holder stopped inside one keeps it longer).
    static let maxWait: Duration = .seconds(10)

    static func withLock<T>(commonDir: String, clearing: [String] = [], _ body: () throws -> T) throws -> T {
        let path = commonDir + "/stomper/landing.lock"
        let descriptor = try openLockFile(commonDir: commonDir)
        defer { close(descriptor) }
        let start = ContinuousClock.now
        var pause: UInt32 = 500
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                throw GitError(.io, "cannot take the landing lock: \(String(cString: strerror(errno)))", path: path)
            }
            if ContinuousClock.now - start > maxWait {
                throw GitError(
                    .indexLocked,
                    "another stomper process has been landing for over 10 s (it may be stopped); try again later",
                    path: ".git/stomper/landing.lock")
            }
            usleep(pause)
            pause = min(pause * 2, 20_000)
        }
        defer { flock(descriptor, LOCK_UN) }
        var info = stat()
        if fstat(descriptor, &info) == 0, info.st_size > 0 {
            try clearStale(clearing, commonDir: commonDir, since: info.st_mtim)
        }
        let entry = "\(getpid())\n"
        _ = pwrite(descriptor, entry, entry.utf8.count, 0)
        defer { _ = ftruncate(descriptor, 0) }
        return try body()
    }

    /// Removes the lock files in `paths` (relative to `commonDir`) modified at or after `since`.
    /// Neither looked at nor removed through a symbolic link (`ConfinedDirectory`).
    private static func clearStale(_ paths: [String], commonDir: String, since: timespec) throws(GitError) {
        let directory = ConfinedDirectory(root: commonDir, obstacles: .refuse)
        for path in paths {
            guard let info = try directory.status(of: path) else { continue }
            let modified = info.st_mtim
            guard (modified.tv_sec, modified.tv_nsec) >= (since.tv_sec, since.tv_nsec) else { continue }
            try directory.removeFile(path)
        }
    }

    /// Opens (creating it) `.git/stomper/landing.lock` without following a symbolic link: the
    /// holder writes its pid into it and empties it, which through a link planted by an agent
    /// (`landing.lock -> /etc/passwd`) would overwrite and truncate a file anywhere. A link or a
    /// file with other hard links there is removed and a new file made; `.git/stomper` itself
    /// must be a folder, not a link.
    static func openLockFile(commonDir: String) throws(GitError) -> Int32 {
        let folderPath = commonDir + "/stomper"
        var folder = open(folderPath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if folder < 0 && errno == ENOENT {
            guard mkdir(folderPath, 0o700) == 0 || errno == EEXIST else {
                throw GitError(.io, "cannot create stomper's folder: \(String(cString: strerror(errno)))", path: folderPath)
            }
            folder = open(folderPath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        }
        guard folder >= 0 else {
            if errno == ELOOP || errno == ENOTDIR {
                throw GitError(
                    .invalidPath,
                    "stomper's folder is a symbolic link or a file, not a folder; stomper does not write "
                        + "through it: remove it (`rm .git/stomper`) and run stomper again", path: folderPath)
            }
            throw GitError(.io, "cannot open stomper's folder: \(String(cString: strerror(errno)))", path: folderPath)
        }
        defer { close(folder) }
        let name = "landing.lock"
        for _ in 0..<8 {
            let descriptor = openat(folder, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
            var info = stat()
            if descriptor >= 0, fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_nlink == 1 {
                return descriptor
            }
            let reason = errno
            if descriptor >= 0 { close(descriptor) }
            // ELOOP: a symbolic link; otherwise not a plain file of its own. Only the name goes.
            guard descriptor >= 0 || reason == ELOOP else {
                throw GitError(.io, "cannot open the landing lock: \(String(cString: strerror(reason)))", path: folderPath + "/" + name)
            }
            guard unlinkat(folder, name, 0) == 0 || errno == ENOENT else {
                throw GitError(
                    .io,
                    "cannot remove a link or hard link in place of the landing lock: "
                        + String(cString: strerror(errno)), path: folderPath + "/" + name)
            }
        }
        throw GitError(
            .io, "the landing lock keeps being replaced by a link; stop whatever replaces it and run stomper again",
            path: folderPath + "/" + name)
    }
}
