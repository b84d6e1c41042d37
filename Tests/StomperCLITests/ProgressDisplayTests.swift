import Foundation
@testable import StomperCLI
import StomperCore
import StomperTestSupport
import Testing

/// The pure parts of the live progress display: middle truncation, the ETA, the status line's
/// composition at any width, colour decisions and coloured result lines.
@Suite(.tags(.unit)) struct ProgressDisplayTests {
    static let longPath = "src/a_rather_long_package_name/with_nested_modules/and_a_long_file_name_to_fit.py"

    @Test(arguments: [1, 2, 5, 10, 20, 40])
    func middleTruncationKeepsBothEndsWithinTheWidth(columns: Int) {
        let text = StatusLine.middleTruncated(Self.longPath, to: columns)
        #expect(StatusLine.width(text) <= columns)
        #expect(text.contains("…"))
        if columns >= 10 {
            #expect(text.hasPrefix("src/"))
            #expect(text.hasSuffix(".py"))
        }
    }

    @Test func shortTextIsNotTruncated() {
        #expect(StatusLine.middleTruncated("a.py", to: 4) == "a.py")
        #expect(StatusLine.middleTruncated("abcdef", to: 5) == "ab…ef")
    }

    @Test func wideCharactersCountTwoColumns() {
        let text = StatusLine.middleTruncated("src/日本語のファイル名.py", to: 12)
        #expect(StatusLine.width("日本") == 4)
        #expect(StatusLine.width(text) <= 12)
    }

    @Test func etaFollowsMeasuredThroughput() {
        #expect(StatusLine.eta(done: 0, total: 10, elapsed: .seconds(5)) == nil, "nothing measured yet")
        #expect(StatusLine.eta(done: 10, total: 10, elapsed: .seconds(5)) == nil, "nothing left")
        #expect(StatusLine.eta(done: 2, total: 10, elapsed: .seconds(4)) == .seconds(16))
        #expect(StatusLine.seconds(.seconds(4.25)) == "4.2s" || StatusLine.seconds(.seconds(4.25)) == "4.3s")
        #expect(StatusLine.seconds(.seconds(125)) == "2m05s")
        #expect(StatusLine.seconds(.seconds(3720)) == "1h02m")
    }

    func line(now: ContinuousClock.Instant) -> StatusLine {
        StatusLine(
            done: 3, total: 12, elapsed: .seconds(6),
            jobs: [
                .init(path: "a_first_alphabetically.py", started: now - .seconds(1), phase: .verify),
                .init(path: Self.longPath, started: now - .seconds(9), phase: .agent),
                .init(path: "m.py", started: now - .seconds(2), phase: nil),
            ], now: now)
    }

    @Test func statusLineShowsCountsPhasesEtaAndTheLongestWaitingFile() {
        let now = ContinuousClock.now
        let text = line(now: now).text(width: 200)
        #expect(text.hasPrefix("[3/12] 6.0s · ETA 18.0s · 3 running: waiting 1, agent 1, verify 1 · "))
        #expect(text.contains(Self.longPath + " (agent, 9.0s)"), "the file that has waited longest, not the alphabetically first: \(text)")
        #expect(!text.contains("a_first_alphabetically"))
    }

    @Test(arguments: Array(stride(from: 10, through: 130, by: 7)))
    func statusLineFitsEveryWidth(width: Int) {
        let text = line(now: .now).text(width: width)
        #expect(StatusLine.width(text) <= max(width - 1, 8), "\(width): \(text)")
        #expect(text.hasPrefix("[3/12]") || text.hasPrefix("[3/1…"))
    }

    @Test func statusLinePathsAreDisplaySafe() {
        let now = ContinuousClock.now
        let line = StatusLine(done: 0, total: 1, elapsed: .seconds(1), jobs: [.init(path: "evil\u{1B}[2J.py", started: now, phase: .land)], now: now)
        let text = line.text(width: 80)
        #expect(!text.contains("\u{1B}"))
        #expect(text.contains("evil\\x1b[2J.py (land"))
    }

    @Test func colourHonoursTheOptionNoColorAndDumbTerminals() {
        #expect(ColorMode.auto.enabled(live: true, environment: [:]))
        #expect(!ColorMode.auto.enabled(live: false, environment: [:]), "pipes and CI logs stay plain")
        #expect(!ColorMode.auto.enabled(live: true, environment: ["NO_COLOR": "1"]))
        #expect(ColorMode.auto.enabled(live: true, environment: ["NO_COLOR": ""]), "an empty NO_COLOR does not count")
        #expect(!ColorMode.auto.enabled(live: true, environment: ["TERM": "dumb"]))
        #expect(ColorMode.always.enabled(live: false, environment: ["NO_COLOR": "1"]))
        #expect(!ColorMode.never.enabled(live: true, environment: [:]))
    }

    @Test func resultLinesColourOnlyTheStatusAfterEscaping() {
        let outcome = FileOutcome(path: "x\u{1B}[31m.py", status: .failed, reason: "1 diagnostic remains", diagnosticsBefore: 1)
        let plain = ProgressDisplay.line(for: outcome, colour: false)
        #expect(plain == ProgressDisplay.line(for: outcome))
        #expect(!plain.contains("\u{1B}"))
        let coloured = ProgressDisplay.line(for: outcome, colour: true)
        #expect(coloured.hasPrefix("\u{1B}[31mfailed\u{1B}[0m"))
        #expect(coloured.components(separatedBy: "\u{1B}").count == 3, "only the two codes stomper adds: \(coloured.debugDescription)")
        #expect(coloured.replacingOccurrences(of: "\u{1B}[31m", with: "").replacingOccurrences(of: "\u{1B}[0m", with: "") == plain)
        let fixed = ProgressDisplay.line(for: FileOutcome(path: "a.py", status: .fixed, diagnosticsBefore: 1), colour: true)
        #expect(fixed.hasPrefix("\u{1B}[32mfixed\u{1B}[0m"))
    }
}
