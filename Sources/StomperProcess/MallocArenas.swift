#if canImport(Glibc)
import Glibc
#endif

/// glibc's malloc gives each thread that allocates under contention an arena of its own, up to
/// eight per core, and keeps what those arenas freed. stomper's blocking work (libgit2, SQLite)
/// runs on many short-lived Dispatch threads, so a long run's resident memory grows with the
/// number of arenas, not with its data. Executables call `limit` once at start; libraries never do.
public enum MallocArenas {
    /// Caps the number of malloc arenas (no effect where the C library is not glibc).
    /// `MALLOC_ARENA_MAX` in the environment, when set, wins.
    @discardableResult
    public static func limit(to count: Int32 = 2) -> Bool {
        #if canImport(Glibc)
        if getenv("MALLOC_ARENA_MAX") != nil { return false }
        // <malloc.h> is not part of the Glibc module: look `mallopt` up. M_ARENA_MAX is -8.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        return unsafeBitCast(symbol, to: Mallopt.self)(-8, count) == 1
        #else
        return false
        #endif
    }
}
