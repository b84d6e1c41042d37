import Foundation

/// Runs blocking work (libgit2 calls, file I/O) on a thread of its own, so it never occupies one
/// of the cooperative pool's few threads while it waits on the disk.
///
/// A thread per call, not a Dispatch global queue: on Linux the global queues run about one thread
/// per core, so one long call (creating a worktree of 50,000 files takes seconds) would hold up
/// every other job's short calls behind it. Starting a thread costs tens of microseconds; the calls
/// take milliseconds, and at most one per job in flight runs at a time.
public enum BlockingIO {
    public static func run<T: Sendable>(_ body: @Sendable @escaping () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try body() })
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }
}
