import Dispatch

/// Runs blocking work (libgit2 calls, file I/O) on a Dispatch thread so it never occupies one of
/// the cooperative pool's few threads while it waits on the disk.
public enum BlockingIO {
    public static func run<T: Sendable>(_ body: @Sendable @escaping () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(with: Result { try body() })
            }
        }
    }
}
