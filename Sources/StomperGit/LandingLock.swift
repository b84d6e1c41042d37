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
        let folder = commonDir + "/stomper"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o700])
        let path = folder + "/landing.lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw GitError(.io, "cannot open the landing lock: \(String(cString: strerror(errno)))", path: path)
        }
        defer { close(descriptor) }
        let start = ContinuousClock.now
        var pause: UInt32 = 500
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                throw GitError(.io, "cannot take the landing lock: \(String(cString: strerror(errno)))", path: path)
            }
            if ContinuousClock.now - start > maxWait {
                throw GitError(.indexLocked,
                               "another stomper process has been landing for over 10 s (it may be stopped); try again later",
                               path: ".git/stomper/landing.lock")
            }
            usleep(pause)
            pause = min(pause * 2, 20_000)
        }
        defer { flock(descriptor, LOCK_UN) }
        var info = stat()
        if fstat(descriptor, &info) == 0, info.st_size > 0 {
            clearStale(clearing, commonDir: commonDir, since: info.st_mtim)
        }
        let entry = "\(getpid())\n"
        _ = pwrite(descriptor, entry, entry.utf8.count, 0)
        defer { _ = ftruncate(descriptor, 0) }
        return try body()
    }

    /// Removes the lock files in `paths` (relative to `commonDir`) modified at or after `since`.
    private static func clearStale(_ paths: [String], commonDir: String, since: timespec) {
        for path in paths {
            var info = stat()
            guard lstat(commonDir + "/" + path, &info) == 0 else { continue }
            let modified = info.st_mtim
            guard (modified.tv_sec, modified.tv_nsec) >= (since.tv_sec, since.tv_nsec) else { continue }
            unlink(commonDir + "/" + path)
        }
    }
}
