import Foundation
import Synchronization

/// Named points where a test can make the process die as if killed (SIGKILL), to prove that a
/// crash at the worst moment loses nothing. Inactive unless `STOMPER_FAILPOINT=name[:n]` is set,
/// which kills the process at the n-th time (default 1) execution reaches `name`.
///
/// Points: `land.before` (intent recorded, nothing written), `land.checkout` (working tree and
/// index written, branch not moved), `land.after` (branch moved, ledger not yet told).
public enum Failpoint {
    private static let armed: (name: String, count: Int)? = {
        guard let value = ProcessInfo.processInfo.environment["STOMPER_FAILPOINT"], !value.isEmpty else { return nil }
        let parts = value.split(separator: ":", maxSplits: 1)
        return (String(parts[0]), parts.count > 1 ? Int(parts[1]) ?? 1 : 1)
    }()
    private static let hits = Mutex(0)

    public static func hit(_ name: String) {
        guard let armed, armed.name == name else { return }
        let count = hits.withLock { value -> Int in
            value += 1
            return value
        }
        if count == armed.count { kill(getpid(), SIGKILL) }
    }
}
