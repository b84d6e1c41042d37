import Foundation

/// Whether a process recorded earlier (in a worktree name, in the ledger) still runs.
public enum ProcessLiveness {
    /// True if `pid` is a live process here. A zombie — dead, not yet reaped, as orphans are
    /// in containers whose init does not reap — counts as dead. With `host` given and different
    /// from this machine's, the process cannot be checked and is assumed alive.
    public static func isAlive(pid: Int32, host: String? = nil) -> Bool {
        if let host, host != ProcessInfo.processInfo.hostName { return true }
        if pid == getpid() { return true }
        guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { return false }
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")"), stat.index(close, offsetBy: 2) < stat.endIndex,
           stat[stat.index(close, offsetBy: 2)] == "Z" {
            return false
        }
        return true
    }
}
