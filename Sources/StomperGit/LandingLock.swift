import Foundation

/// The critical section every stomper process's landings share: `flock` on
/// `.git/stomper/landing.lock`. The main index is one file that each landing reads, edits and
/// rewrites; two processes interleaving those steps would lose one's index entries. The kernel
/// drops the lock when its holder dies, so a killed process never leaves it held.
enum LandingLock {
    /// The longest a landing waits for another process's landing (a landing takes milliseconds;
    /// only a holder stopped inside one keeps it longer).
    static let maxWait: Duration = .seconds(10)

    static func withLock<T>(commonDir: String, _ body: () throws -> T) throws -> T {
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
        return try body()
    }
}
