import Dispatch
import Foundation
import StomperCore
import StomperGit
import StomperQuality
import Synchronization

/// Shows a run's progress: on a terminal, a live status line on stderr (see `StatusLine`) that
/// fits the terminal's width and follows its resizes, with each finished file printed above it;
/// otherwise (a pipe, CI, `TERM=dumb`) one plain line per file.
///
/// The status line is cleared (`\r ESC[2K`) before anything else is printed and at the end, so no
/// stale copy of it is ever left among the result lines.
final class ProgressDisplay: @unchecked Sendable {
    // @unchecked: `resize` is set once in `init` and only kept alive (and cancelled in `finish`);
    // everything that changes is in `state`, behind its mutex.
    private struct State {
        var done = 0
        var inFlight: [String: StatusLine.Job] = [:]
        var lineShown = false
        var width: Int
    }

    private let total: Int
    let live: Bool
    private let quiet: Bool
    /// Colour the status labels of result lines (`--color`, `NO_COLOR`, `TERM`).
    let colour: Bool
    /// Prints a file's text (folding it for a CI log).
    private let print: @Sendable (String) -> Void
    private let start = ContinuousClock.now
    private let state: Mutex<State>
    private var resize: (any DispatchSourceSignal)?

    init(
        total: Int, live: Bool, quiet: Bool, colour: Bool = false,
        print: @escaping @Sendable (String) -> Void = { Terminal.out($0) }
    ) {
        self.total = total
        self.live = live
        self.quiet = quiet
        self.colour = colour
        self.print = print
        state = Mutex(State(width: live ? Terminal.stderrColumns : 80))
        if live && !quiet {
            // SIGWINCH's default action is to ignore it, so the source needs no `signal(SIG_IGN)`.
            let source = DispatchSource.makeSignalSource(signal: SIGWINCH, queue: DispatchQueue(label: "stomper.resize"))
            source.setEventHandler { [weak self] in self?.resized() }
            source.resume()
            resize = source
        }
    }

    func handle(_ event: PipelineEvent) {
        guard !quiet else { return }
        switch event {
        case .started(let path):
            state.withLock { state in
                state.inFlight[path] = StatusLine.Job(path: path, started: .now, phase: nil)
                redraw(&state)
            }
        case .phase(let path, let phase):
            state.withLock { state in
                guard state.inFlight[path] != nil else { return }
                state.inFlight[path]?.phase = phase
                redraw(&state)
            }
        case .finished(let outcome):
            state.withLock { state in
                state.inFlight[outcome.path] = nil
                state.done += 1
                clear(&state)
                print(Self.line(for: outcome, colour: colour))
                redraw(&state)
            }
        }
    }

    /// Prints an outcome decided before the run (a skipped file).
    func report(_ outcome: FileOutcome) {
        guard !quiet else { return }
        state.withLock { state in
            clear(&state)
            print(Self.line(for: outcome, colour: colour))
        }
    }

    /// Redraws the status line (called periodically so the elapsed time moves).
    func tick() {
        state.withLock { redraw(&$0) }
    }

    func finish() {
        resize?.cancel()
        state.withLock { clear(&$0) }
    }

    /// The terminal changed size: clear the line drawn for the old width, draw one for the new.
    private func resized() {
        state.withLock { state in
            state.width = Terminal.stderrColumns
            guard state.lineShown else { return }
            clear(&state)
            redraw(&state)
        }
    }

    private func clear(_ state: inout State) {
        guard live, state.lineShown else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
        state.lineShown = false
    }

    private func redraw(_ state: inout State) {
        guard live, !quiet else { return }
        let now = ContinuousClock.now
        let line = StatusLine(done: state.done, total: total, elapsed: now - start, jobs: Array(state.inFlight.values), now: now)
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line.text(width: state.width)).utf8))
        state.lineShown = true
    }

    /// A file's result line, its status label coloured with `colour` (after the text was made
    /// display-safe, so the colour codes are the only escapes in it).
    static func line(for outcome: FileOutcome, colour: Bool) -> String {
        let plain = line(for: outcome)
        guard colour else { return plain }
        let refused = outcome.status == .failed && outcome.refusal != nil
        let labelEnd = plain.index(plain.startIndex, offsetBy: min(16, plain.count))
        let label = plain[..<labelEnd]
        let trimmed = label.trimmingCharacters(in: .whitespaces)
        let padding = String(repeating: " ", count: label.count - trimmed.count)
        return StatusColor.paint(trimmed, outcome.status, refused: refused) + padding + plain[labelEnd...]
    }

    static func line(for outcome: FileOutcome) -> String {
        // A file the run never started (interrupted, or agent work stopped) is "not started",
        // as the closing line and `stomper runs` call it, not "skipped".
        let label =
            outcome.status == .failed && outcome.refusal != nil
            ? "refused"
            : outcome.status == .skipped && outcome.deferred
                ? "not started" : outcome.status.rawValue.replacingOccurrences(of: "_", with: " ")
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
