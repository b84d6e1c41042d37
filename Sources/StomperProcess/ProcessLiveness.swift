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
            stat[stat.index(close, offsetBy: 2)] == "Z"
        {
            return false
        }
        return true
    }

    /// True if some process of process group `group` is alive (zombies do not count). Scans
    /// `/proc` only when the group is not empty to begin with.
    static func groupHasLiveMembers(_ group: pid_t) -> Bool {
        guard kill(-group, 0) == 0 || errno == EPERM else { return false }
        guard let directory = opendir("/proc") else { return true }
        defer { closedir(directory) }
        var buffer = [UInt8](repeating: 0, count: 512)
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let first = name.utf8.first, first >= UInt8(ascii: "1"), first <= UInt8(ascii: "9") else { continue }
            let descriptor = open("/proc/\(name)/stat", O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            close(descriptor)
            guard count > 0 else { continue }
            // "pid (comm) S ppid pgrp ...": comm may hold spaces and parentheses, so parse after the last ')'.
            let stat = buffer[..<count]
            guard let parenthesis = stat.lastIndex(of: UInt8(ascii: ")")) else { continue }
            let fields = stat[(parenthesis + 1)...].split(separator: UInt8(ascii: " "))
            guard fields.count > 2, let state = fields[0].first, state != UInt8(ascii: "Z"), state != UInt8(ascii: "X"),
                let pgrp = Int32(String(decoding: fields[2], as: UTF8.self)), pgrp == group
            else { continue }
            return true
        }
        return false
    }
}
