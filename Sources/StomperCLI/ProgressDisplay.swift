import Foundation
import StomperCore
import StomperGit
import StomperQuality
import Synchronization

/// Shows a run's progress: on a terminal, a live status line on stderr (done/total, files in
/// flight, elapsed) with each finished file printed above it; otherwise one plain line per file.
final class ProgressDisplay: Sendable {
    private struct State {
        var done = 0
        var inFlight: Set<String> = []
        var lineShown = false
    }

    private let total: Int
    let live: Bool
    private let quiet: Bool
    /// Prints a file's text (folding it for a CI log).
    private let print: @Sendable (String) -> Void
    private let start = ContinuousClock.now
    private let state = Mutex(State())

    init(total: Int, live: Bool, quiet: Bool, print: @escaping @Sendable (String) -> Void = { Terminal.out($0) }) {
        self.total = total
        self.live = live
        self.quiet = quiet
        self.print = print
    }

    func handle(_ event: PipelineEvent) {
        guard !quiet else { return }
        switch event {
        case .started(let path):
            state.withLock { state in
                state.inFlight.insert(path)
                redraw(&state)
            }
        case .finished(let outcome):
            state.withLock { state in
                state.inFlight.remove(outcome.path)
                state.done += 1
                clear(&state)
                print(Self.line(for: outcome))
                redraw(&state)
            }
        }
    }

    /// Prints an outcome decided before the run (a skipped file).
    func report(_ outcome: FileOutcome) {
        guard !quiet else { return }
        print(Self.line(for: outcome))
    }

    /// Redraws the status line (called periodically so the elapsed time moves).
    func tick() {
        state.withLock { redraw(&$0) }
    }

    func finish() {
        state.withLock { clear(&$0) }
    }

    private func clear(_ state: inout State) {
        guard live, state.lineShown else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
        state.lineShown = false
    }

    private func redraw(_ state: inout State) {
        guard live else { return }
        let elapsed = (ContinuousClock.now - start).secondsValue
        let current = state.inFlight.sorted().first.map { " · \($0.displaySafe)" } ?? ""
        let text = String(format: "\r\u{1B}[2K[%d/%d] %d in flight · %.1fs", state.done, total, state.inFlight.count, elapsed) + current
        FileHandle.standardError.write(Data(text.utf8))
        state.lineShown = true
    }

    static func line(for outcome: FileOutcome) -> String {
        let label = outcome.status == .failed && outcome.refusal != nil
            ? "refused" : outcome.status.rawValue.replacingOccurrences(of: "_", with: " ")
        var text = label.padding(toLength: 16, withPad: " ", startingAt: 0) + outcome.path.displaySafe
        var listed: [Diagnostic] = []
        switch outcome.status {
        case .fixed, .partiallyFixed, .wouldFix:
            let codes = outcome.fixed.keys.sorted().joined(separator: ", ")
            text += ": \(plural(outcome.fixed.values.reduce(0, +), "diagnostic")) fixed (\(codes))"
            if let commit = outcome.commit { text += " in \(commit.short)" }
            if let reason = outcome.reason { text += "; \(reason.displaySafe)" }
            if !outcome.needsAgent.isEmpty {
                text += "; \(plural(outcome.needsAgent.count, "diagnostic")) need\(outcome.needsAgent.count == 1 ? "s" : "") an agent"
            }
            listed = outcome.remaining + outcome.needsAgent
        case .failed, .needsAgent:
            text += ": \(outcome.reason?.displaySafe ?? "not fixed")"
            listed = outcome.remaining + outcome.needsAgent
        case .skipped:
            text += ": \(outcome.reason?.displaySafe ?? "skipped")"
        }
        // What is left, as the file now is on the branch (ruff's format: path:line:col: CODE message).
        let sorted = listed.sorted()
        for diagnostic in sorted.prefix(5) { text += "\n    \(diagnostic.displayLine)" }
        if sorted.count > 5 { text += "\n    … and \(sorted.count - 5) more" }
        return text
    }
}
