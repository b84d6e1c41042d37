import Foundation
import StomperCore
import StomperQuality

/// The live status line of a run, composed to fit a terminal's width: pure, so it is tested
/// without a terminal.
///
/// `[3/10] 4.1s · ETA 12s · 2 running: agent 1, verify 1 · src/…/mod.py (agent, 3.2s)`: done and
/// total, elapsed, the time left at the throughput measured so far, the files in flight by phase,
/// and the file that has waited longest with its phase. What does not fit goes, least useful
/// first: the longest-waiting path is shortened in the middle, the phase counts give way to the
/// number running, then the path goes, then the number.
struct StatusLine {
    /// A file in flight: when its job started and the phase it is in (nil before its agent runs).
    struct Job {
        var path: String
        var started: ContinuousClock.Instant
        var phase: PipelinePhase?
    }

    var done: Int
    var total: Int
    var elapsed: Duration
    var jobs: [Job]
    var now: ContinuousClock.Instant

    /// The file that has waited longest (started first), not the alphabetically first.
    var oldest: Job? {
        jobs.min { ($0.started, $0.path) < ($1.started, $1.path) }
    }

    /// The text, at most `width - 1` columns (the last column is left free: writing there puts
    /// some terminals in a pending wrap that the next `\r` does not undo).
    func text(width: Int) -> String {
        let limit = max(width - 1, 8)
        var head = "[\(done)/\(total)] \(Self.seconds(elapsed))"
        if let eta = Self.eta(done: done, total: total, elapsed: elapsed) { head += " · ETA \(Self.seconds(eta))" }
        let phases = jobs.isEmpty ? "" : " · \(jobs.count) running" + phaseCounts
        var waiting = ""
        var pathText = ""
        if let oldest {
            pathText = oldest.path.displaySafe
            waiting = " (\(oldest.phase?.rawValue ?? "waiting"), \(Self.seconds(now - oldest.started)))"
        }
        let short = jobs.isEmpty ? "" : " · \(jobs.count) running"
        // Longest first: the phase counts, then the count alone, each with the longest-waiting
        // file if at least 12 columns of its path fit; then without the file.
        if !pathText.isEmpty {
            for running in [phases, short] {
                let room = limit - Self.width(head) - Self.width(running) - Self.width(waiting) - 3
                if room >= 12 { return head + running + " · " + Self.middleTruncated(pathText, to: room) + waiting }
            }
        }
        if Self.width(head + phases) <= limit { return head + phases }
        if Self.width(head + short) <= limit { return head + short }
        return Self.middleTruncated(head, to: limit)
    }

    private var phaseCounts: String {
        var counts: [String: Int] = [:]
        for job in jobs { counts[job.phase?.rawValue ?? "waiting", default: 0] += 1 }
        let order = ["waiting", PipelinePhase.agent.rawValue, PipelinePhase.verify.rawValue, PipelinePhase.land.rawValue]
        let parts = order.compactMap { name in counts[name].map { "\(name) \($0)" } }
        return parts.isEmpty ? "" : ": " + parts.joined(separator: ", ")
    }

    /// The time left at the throughput measured so far (files finished per second of the run);
    /// nil before the first file finished or when none are left.
    static func eta(done: Int, total: Int, elapsed: Duration) -> Duration? {
        guard done > 0, total > done, elapsed > .zero else { return nil }
        return elapsed * Double(total - done) / Double(done)
    }

    /// `4.1s` below a minute, `2m05s` below an hour, `1h02m` above.
    static func seconds(_ duration: Duration) -> String {
        let value = max(duration.secondsValue, 0)
        if value < 60 { return String(format: "%.1fs", value) }
        let whole = Int(value.rounded())
        if whole < 3600 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
        return String(format: "%dh%02dm", whole / 3600, (whole % 3600) / 60)
    }

    /// `text` in at most `columns` columns, shortened in the middle with `…` (both ends of a path
    /// say the most: its top folder and its file name).
    static func middleTruncated(_ text: String, to columns: Int) -> String {
        guard width(text) > columns else { return text }
        guard columns > 1 else { return columns == 1 ? "…" : "" }
        let characters = Array(text)
        let budget = columns - 1
        var front = "", back = ""
        var frontWidth = 0, backWidth = 0
        var low = 0, high = characters.count - 1
        // Alternate, the end first (the file name), until the budget is spent.
        var takeBack = true
        while low <= high {
            let character = takeBack ? characters[high] : characters[low]
            let cost = width(character)
            guard frontWidth + backWidth + cost <= budget else { break }
            if takeBack {
                back = String(character) + back
                backWidth += cost
                high -= 1
            } else {
                front.append(character)
                frontWidth += cost
                low += 1
            }
            takeBack.toggle()
        }
        return front + "…" + back
    }

    /// Columns a text takes on a terminal: wide East Asian characters and emoji take two,
    /// combining marks none.
    static func width(_ text: String) -> Int {
        text.reduce(0) { $0 + width($1) }
    }

    static func width(_ character: Character) -> Int {
        guard let scalar = character.unicodeScalars.first else { return 0 }
        if scalar.properties.generalCategory == .nonspacingMark || scalar.properties.generalCategory == .enclosingMark { return 0 }
        switch scalar.value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F,
            0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD:
            return 2
        default:
            return 1
        }
    }
}
