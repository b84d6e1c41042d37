import Foundation

enum Stats {
    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = p / 100 * Double(sorted.count - 1)
        let low = Int(rank.rounded(.down)), high = Int(rank.rounded(.up))
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - Double(low))
    }

    static func mean(_ values: [Double]) -> Double {
        values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }

    static func ms(_ seconds: Double) -> Double { (seconds * 1000 * 100).rounded() / 100 }

    /// Peak resident set size of this process, in MB (Linux reports KB).
    static func peakRSSMegabytes() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    /// Current resident set size, in MB.
    static func currentRSSMegabytes() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
            let pages = text.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
        else { return 0 }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// Prints one JSON object per scenario result and keeps rows for the final table.
final class Report: @unchecked Sendable {
    // @unchecked: used from the bench's single main task only.
    private(set) var rows: [[String: Any]] = []

    func emit(_ object: [String: Any]) {
        rows.append(object)
        if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
            // Written straight to the descriptor: a line per result even when stdout is a file.
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        }
    }
}
