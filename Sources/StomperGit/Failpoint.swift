import Foundation
import Synchronization

/// Named points where a test can make the process die as if killed (SIGKILL), to prove that a
/// crash at the worst moment loses nothing. Inactive unless `STOMPER_FAILPOINT=name[:n[:SIGINT]]`
/// is set, which kills the process at the n-th time (default 1) execution reaches `name` — or,
/// with `:SIGINT`, sends it the interrupt a user's Ctrl-C or a client's cancel would.
///
/// Points: `land.before` (intent recorded, nothing written), `land.checkout` (working tree and
/// index written, branch not moved), `land.after` (branch moved, ledger not yet told),
/// `run.begun` (the run is in the ledger, its work not started).
public enum Failpoint {
    private static let armed: (name: String, count: Int, signal: Int32)? = {
        guard let value = ProcessInfo.processInfo.environment["STOMPER_FAILPOINT"], !value.isEmpty else { return nil }
        let parts = value.split(separator: ":", maxSplits: 2)
        return (
            String(parts[0]), parts.count > 1 ? Int(parts[1]) ?? 1 : 1,
            parts.count > 2 && parts[2] == "SIGINT" ? SIGINT : SIGKILL
        )
    }()
    private static let hits = Mutex(0)

    public static func hit(_ name: String) {
        guard let armed, armed.name == name else { return }
        let count = hits.withLock { value -> Int in
            value += 1
            return value
        }
        if count == armed.count { kill(getpid(), armed.signal) }
    }
}
