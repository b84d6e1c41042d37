import Foundation
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// mypy's incremental cache for one repository, kept between runs (`linters.mypy.cache`).
///
/// Without a cache every verification checks the file and everything it imports from scratch
/// (1–2 s on a 50-module strict package); with one, mypy re-checks only the modules whose source
/// hash changed and those whose dependencies' interfaces changed.
///
/// **One cache per root, never two writers.** mypy 2.x keeps its cache in SQLite shards written
/// with `synchronous=OFF`, and a module's entry is several records (meta, data, errors) written
/// one after another; two processes checking *different* contents into one cache could leave one
/// module's meta beside another version's data. So every root — the main working tree and each
/// pool worktree — gets a folder of its own, `<folder>/<key>`, and a mypy runs on it only while
/// stomper holds an `flock` on `<folder>/<key>.lock`. A pool worktree is used by one job at a
/// time, so its lock is never contended within a run; two processes planning in one repository
/// take turns on the main tree's.
///
/// **Seeded from planning.** A worktree's folder starts as a copy of the main working tree's —
/// what planning's lint of the whole selection just wrote — so the first check in a fresh
/// worktree already re-checks only what its fix touched. mypy validates every entry by the
/// source's hash (the worktree's files have other modification times: mypy hashes them and
/// refreshes the entry) and by the interface hashes its dependencies had, so a copy made from any
/// content gives the diagnostics of a cold run (`MypyCacheTests`).
public struct MypyCache: Sendable, Hashable {
    /// The folder holding the caches, outside every working tree (`<common>/stomper/mypy-cache`).
    public var folder: String
    /// The root whose cache seeds the others: the repository's main working tree.
    public var seedRoot: String

    public init(folder: String, seedRoot: String) {
        self.folder = folder
        self.seedRoot = seedRoot
    }

    /// The cache folder of `root`: `main` for the seed root, `worktree-<hash of the path>` else.
    public func directory(for root: String) -> String {
        folder + "/" + Self.key(root: Self.canonical(root), seedRoot: Self.canonical(seedRoot))
    }

    static func key(root: String, seedRoot: String) -> String {
        if root == seedRoot { return "main" }
        // FNV-1a: stable across processes (Swift's `hashValue` is seeded per process).
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in root.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return "worktree-" + String(hash, radix: 16)
    }

    private static func canonical(_ path: String) -> String {
        var path = URL(fileURLWithPath: path).standardizedFileURL.path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return path
    }

    /// Runs `body` with the cache folder of `root`, holding its lock; a new worktree folder is
    /// seeded first. When the lock cannot be had within `patience` (another process's mypy holds
    /// it that long), `body` gets nil and runs without a cache: slower, never wrong.
    func withDirectory<T: Sendable>(
        for root: String, patience: Duration,
        _ body: (String?) async throws -> T
    ) async throws -> T {
        let directory = directory(for: root)
        guard (try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)) != nil,
            let lock = await Self.lock(directory + ".lock", patience: patience)
        else {
            return try await body(nil)
        }
        defer { Self.unlock(lock) }
        if !FileManager.default.fileExists(atPath: directory) {
            await seed(directory, root: root, patience: patience)
        }
        return try await body(directory)
    }

    /// Copies the seed root's cache into `directory` (under the seed's lock, so no mypy is writing
    /// it meanwhile), and removes caches of worktrees that are gone. Any failure leaves an empty
    /// folder: the first check is then a cold one.
    private func seed(_ directory: String, root: String, patience: Duration) async {
        let manager = FileManager.default
        let main = self.directory(for: seedRoot)
        if directory != main, manager.fileExists(atPath: main), let lock = await Self.lock(main + ".lock", patience: patience) {
            let temporary = directory + ".seeding-\(getpid())"
            try? manager.removeItem(atPath: temporary)
            if (try? manager.copyItem(atPath: main, toPath: temporary)) == nil || rename(temporary, directory) != 0 {
                try? manager.removeItem(atPath: temporary)
            }
            Self.unlock(lock)
        }
        try? manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if directory != main {
            try? Data(Self.canonical(root).utf8).write(to: URL(fileURLWithPath: directory + "/stomper-root"))
            await pruneGoneWorktrees(keeping: directory)
        }
    }

    /// Worktree caches whose worktree no longer exists (a default run removes its worktrees at
    /// the end) are removed, each under its lock so a cache in use is never touched.
    private func pruneGoneWorktrees(keeping kept: String) async {
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: folder) else { return }
        for name in names where name.hasPrefix("worktree-") && !name.contains(".") {
            let directory = folder + "/" + name
            guard directory != kept,
                let data = manager.contents(atPath: directory + "/stomper-root"),
                !manager.fileExists(atPath: String(decoding: data, as: UTF8.self)),
                let lock = await Self.lock(directory + ".lock", patience: .zero)
            else { continue }
            try? manager.removeItem(atPath: directory)
            unlink(directory + ".lock")
            Self.unlock(lock)
        }
    }

    /// An exclusive `flock` on `path`, tried again (1 ms doubling to 100 ms) for at most
    /// `patience`; nil when it was not had by then or the file cannot be opened.
    private static func lock(_ path: String, patience: Duration) async -> Int32? {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard descriptor >= 0 else { return nil }
        let deadline = ContinuousClock.now + patience
        var pause = Duration.milliseconds(1)
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, ContinuousClock.now < deadline,
                (try? await Task.sleep(for: pause)) != nil
            else {
                close(descriptor)
                return nil
            }
            pause = min(pause * 2, .milliseconds(100))
        }
        return descriptor
    }

    private static func unlock(_ descriptor: Int32) {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
