#if canImport(Glibc)
    import Glibc
#endif

/// glibc's malloc gives each thread that allocates under contention an arena of its own, up to
/// eight per core, and keeps what those arenas freed. stomper's blocking work (libgit2, SQLite)
/// runs on many short-lived Dispatch threads, so a long run's resident memory grows with the
/// number of arenas, not with its data. Executables call `limit` once at start; libraries never do.
/// It also fixes the thresholds above which blocks are mapped and the heap is trimmed (see below).
public enum MallocArenas {
    /// Caps the number of malloc arenas (no effect where the C library is not glibc).
    /// `MALLOC_ARENA_MAX` in the environment, when set, wins.
    @discardableResult
    public static func limit(to count: Int32 = 2) -> Bool {
        #if canImport(Glibc)
            // <malloc.h> is not part of the Glibc module: look `mallopt` up.
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
            typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
            let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
            // A fixed mmap threshold (M_MMAP_THRESHOLD, -3): blocks of 256 KiB and more (file contents,
            // diffs, libgit2's buffers) are mapped and unmapped, so freeing them gives the memory back.
            // glibc otherwise raises the threshold to the largest block freed so far, up to 32 MiB,
            // and keeps such blocks in the heap from then on. Fixing it also fixes the trim threshold
            // (M_TRIM_THRESHOLD, -1), set to 1 MiB: free memory at the top of a heap goes back sooner.
            if getenv("MALLOC_MMAP_THRESHOLD_") == nil { _ = mallopt(-3, 256 * 1024) }
            if getenv("MALLOC_TRIM_THRESHOLD_") == nil { _ = mallopt(-1, 1024 * 1024) }
            if getenv("MALLOC_ARENA_MAX") != nil { return false }
            // M_ARENA_MAX is -8.
            return mallopt(-8, count) == 1
        #else
            return false
        #endif
    }
}
