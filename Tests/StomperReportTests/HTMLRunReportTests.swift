import Foundation
import StomperCore
import StomperLedger
import StomperProcess
import StomperQuality
import StomperReport
import StomperTestSupport
import Testing

@Suite("HTML run report", .tags(.unit), .timeLimit(.minutes(5)))
struct HTMLRunReportTests {
    static let hostile = "<img src=x onerror=alert(1)>.py"

    static func run(status: RunStatus = .completed, dryRun: Bool = false) -> RunRecord {
        RunRecord(
            id: "run-1", status: status, branch: "main", baseCommit: String(repeating: "a", count: 40), configHash: "h",
            configJSON: "{}", toolVersions: "{}", agent: #"{"kind":"command","name":"stomper-mock-agent","settings":""}"#,
            snapshotID: "s", dryRun: dryRun, pid: 1, host: "h", createdAt: "2026-12-05T10:00:00.000Z",
            updatedAt: "2026-12-05T10:00:10.000Z", finishedAt: "2026-12-05T10:00:10.000Z")
    }

    static func event(_ type: String, _ job: String?, at milliseconds: Int, _ data: String = "{}", sequence: Int64) -> EventRecord {
        let seconds = milliseconds / 1000
        let stamp = String(format: "2026-12-05T10:00:%02d.%03dZ", seconds, milliseconds % 1000)
        var event = EventRecord(runID: "run-1", job: job, type: type, step: "x", data: data, timestamp: stamp)
        event.sequence = sequence
        return event
    }

    /// The outcome JSON as the run recorder stores it in the job row.
    static func outcomeJSON(_ outcome: FileOutcome) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try! encoder.encode(outcome), as: UTF8.self)
    }

    @Test("the timeline's phases come from the job events: waiting, preparing, each attempt, verifying, landing")
    func spansFromEvents() throws {
        var events: [EventRecord] = []
        func add(_ type: String, _ job: String?, _ ms: Int, _ data: String = "{}") {
            events.append(Self.event(type, job, at: ms, data, sequence: Int64(events.count + 1)))
        }
        add("run.started", nil, 0, #"{"parallel":1}"#)
        add("job.started", "a.py", 100)
        add("agent.started", "a.py", 200, #"{"attempt":1}"#)
        add("agent.finished", "a.py", 1200, #"{"attempt":1,"result":"completed"}"#)
        add("verify.finished", "a.py", 1500)
        add("land.started", "a.py", 1600)
        add("land.finished", "a.py", 1700, #"{"result":"landed"}"#)
        add("job.finished", "a.py", 1750, #"{"status":"fixed"}"#)
        add("job.started", "b.py", 1800)
        add("agent.started", "b.py", 1900, #"{"attempt":1}"#)
        add("agent.finished", "b.py", 2900, #"{"attempt":1,"result":"completed"}"#)
        add("agent.started", "b.py", 3000, #"{"attempt":2}"#)
        add("agent.finished", "b.py", 3500, #"{"attempt":2,"result":"timed out"}"#)
        add("job.finished", "b.py", 3600, #"{"status":"failed"}"#)
        // No attempt rows (learning off): the attempt comes from its event.
        add("job.started", "c.py", 3700)
        add("agent.started", "c.py", 3800, #"{"attempt":1}"#)
        add(
            "agent.finished", "c.py", 4000,
            #"{"attempt":1,"agent":"chat:model","ms":200,"result":"completed","input_tokens":120,"output_tokens":30}"#)
        add("job.finished", "c.py", 4100, #"{"status":"failed"}"#)
        let attempts = [
            AttemptRecord(
                runID: "run-1", path: "a.py", attempt: 1, agent: "mock", outcome: .fixed, durationMilliseconds: 1000,
                diff: "attempt diff", codes: [.init(linter: "ruff", code: "F401", targeted: 2, fixed: 2)]),
            AttemptRecord(
                runID: "run-1", path: "b.py", attempt: 1, agent: "mock", outcome: .notFixed, durationMilliseconds: 1000,
                codes: []),
        ]
        let remaining = ReportSamples.ruff("b.py", 3, "E711", "Comparison to None")
        var failed = FileOutcome(
            path: "b.py", status: .failed, reason: "1 diagnostic remains (E711)", diagnosticsBefore: 1,
            remaining: [remaining])
        failed.needsAgent = [ReportSamples.ruff("b.py", 9, "F821", "Undefined name", fixable: false)]
        let jobs = [
            JobRecord(
                runID: "run-1", path: "a.py", key: "k", baseBlob: "b", diagnostics: "[]",
                state: .landed(commit: String(repeating: "c", count: 40)), updatedAt: "x"),
            JobRecord(
                runID: "run-1", path: "b.py", key: "k", baseBlob: "b", diagnostics: "[]",
                state: .failed(reason: "stored reason"), outcome: Self.outcomeJSON(failed), updatedAt: "x"),
            JobRecord(
                runID: "run-1", path: "c.py", key: "k", baseBlob: "b", diagnostics: "[]", state: .failed(reason: "not fixed"),
                updatedAt: "x"),
        ]
        let receipt = ReceiptRecord(
            runID: "run-1", path: "a.py", key: "k", commit: String(repeating: "c", count: 40),
            patchSHA256: "p", diagnosticsFixed: #"{"F401":2}"#, agentCalls: 1, agentSeconds: 1, totalSeconds: 1.6,
            cacheHit: false)
        let input = RunReportInput.make(run: Self.run(), jobs: jobs, events: events, attempts: attempts, receipts: [receipt])
        let a = try #require(input.files.first { $0.path == "a.py" })
        #expect(a.status == "fixed")
        #expect(a.fixed == ["F401": 2])
        #expect(a.diff == "attempt diff")
        #expect(a.spans.map(\.phase) == [.waiting, .preparing, .agent, .verify, .land])
        #expect(a.spans.map(\.start) == [0, 0.1, 0.2, 1.2, 1.6])
        #expect(a.spans.map(\.end) == [0.1, 0.2, 1.2, 1.6, 1.7])
        #expect(a.spans[2].result == .success && a.spans[4].result == .success)
        let b = try #require(input.files.first { $0.path == "b.py" })
        #expect(b.status == "failed")
        #expect(b.reason == "1 diagnostic remains (E711)")
        #expect(b.spans.filter { $0.phase == .agent }.map(\.result) == [.refused, .failed])
        #expect(b.spans.first?.phase == .waiting && b.spans.first?.end == 1.8)
        #expect(b.remaining.map(\.code) == ["E711", "F821"])
        #expect(b.needsAgent == 1)
        let c = try #require(input.files.first { $0.path == "c.py" })
        #expect(c.reason == "not fixed")
        #expect(
            c.attempts == [
                .init(
                    number: 1, agent: "chat:model", outcome: "completed", milliseconds: 200, inputTokens: 120,
                    outputTokens: 30)
            ])
        #expect(b.attempts.map(\.outcome) == ["not_fixed"])
        #expect(input.parallel == 1)
        #expect(input.agent == "command:stomper-mock-agent")
        #expect(input.durationSeconds == 10)
        let html = HTMLRunReport().render(input)
        #expect(html.contains("<svg class=\"timeline\""))
        #expect(html.contains("aria-label=\"files in flight, at most 1\""))
        #expect(html.contains("<code>F401</code>×2"))
        #expect(html.contains("120 / 30"))
    }

    @Test("repository text is escaped everywhere: a hostile file name, reason, message and diff render as text")
    func hostileTextIsEscaped() {
        let file = RunReportInput.File(
            path: Self.hostile, status: "failed", reason: "</details><script>alert(2)</script>", diagnosticsBefore: 1,
            remaining: [.init(line: 1, code: "<b>X</b>", message: "\"quoted\" & 'single' <svg onload=alert(3)>")],
            attempts: [.init(number: 1, agent: "<i>agent</i>", outcome: "not_fixed\" onmouseover=\"x", milliseconds: 5)],
            diff: "+<iframe src=javascript:alert(4)>\n-</pre><img src=y>", spans: [.init(.agent, start: 0, end: 1, result: .refused)])
        let input = RunReportInput(
            runID: "<r>", status: "completed", branch: "<b>", baseCommit: "<c>", agent: "<a>", dryRun: false,
            createdAt: "<t>", durationSeconds: 1, files: [file],
            learning: [.init(code: "<l>", agent: "<g>", attempts: 1, successes: 0, meanMilliseconds: 1)],
            notes: ["<note>"])
        let html = HTMLRunReport().render(input)
        #expect(html.contains("&lt;img src=x onerror=alert(1)&gt;.py"))
        for raw in ["<img", "<script", "<iframe", "<svg onload", "<b>X</b>", "<i>agent", "<r>", "<note>", "</pre><img", "onmouseover=\""] {
            #expect(!html.contains(raw), "\(raw) reached the page unescaped")
        }
        // Nothing on the page is fetched: no external address, only in-page links.
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("src=\""))
        #expect(html.contains("default-src 'none'"))
    }

    @Test("10,000 files render under 20 MB, with a row for every file and bounded details, and load in chromium", .tags(.slow))
    func tenThousandFiles() async throws {
        let diff = "--- a/x.py\n+++ b/x.py\n@@ -1,40 +1,40 @@\n" + String(repeating: "-import os\n+import sys\n", count: 100)
        let files = (0..<10_000).map { index -> RunReportInput.File in
            let start = Double(index) * 0.05
            let status = ["fixed", "failed", "partially_fixed", "needs_agent", "skipped"][index % 5]
            return RunReportInput.File(
                path: "pkg\(index / 100)/module_\(index).py", status: status, reason: index % 5 == 1 ? "1 diagnostic remains (E711)" : nil,
                commit: index % 5 == 0 ? String(repeating: "c", count: 40) : nil, diagnosticsBefore: 3, fixed: ["F401": 2],
                remaining: (0..<3).map { .init(line: $0, code: "E711", message: "Comparison to None") },
                attempts: [.init(number: 1, agent: "mock", outcome: "fixed", milliseconds: 900)], diff: diff,
                spans: [
                    .init(.waiting, start: 0, end: start), .init(.preparing, start: start, end: start + 0.1),
                    .init(.agent, start: start + 0.1, end: start + 1, result: .success),
                    .init(.verify, start: start + 1, end: start + 1.3), .init(.land, start: start + 1.3, end: start + 1.4, result: .success),
                ])
        }
        let input = RunReportInput(
            runID: "big", status: "completed", branch: "main", baseCommit: "abc", agent: "mock", dryRun: false,
            createdAt: "t", durationSeconds: 501.4, parallel: 8, files: files)
        let html = HTMLRunReport().render(input)
        #expect(html.utf8.count < 20_000_000, "\(html.utf8.count) bytes")
        #expect(html.components(separatedBy: "<td class=\"path\">").count - 1 == 10_000)
        #expect(html.components(separatedBy: "<details id=").count - 1 == 300)
        #expect(html.contains("9700 more are listed above only"))
        #expect(html.contains("aria-label=\"timeline of 10000 files\""))
        // The most important files come first: the first details are of failed files.
        #expect(html.range(of: "<details id=\"f0\" open><summary><span class=\"st st-failed\">") != nil)

        // The page stays usable: headless chromium loads it within the suite's time limit and its
        // DOM has every file's row and the timeline.
        try await withTemporaryDirectory { dir in
            try html.write(toFile: dir + "/big.html", atomically: true, encoding: .utf8)
            let dom = try await HeadlessChromium.run(["--dump-dom", "file://" + dir + "/big.html"], profile: dir + "/chromium")
            #expect(dom.exitCode == 0, "\(dom.stderrText)")
            #expect(dom.stdoutText.components(separatedBy: "<td class=\"path\">").count - 1 == 10_000)
            #expect(dom.stdoutText.contains("aria-label=\"timeline of 10000 files\""))
        }
    }

    @Test("the in-flight line counts overlapping jobs; a run without started files says so instead of drawing")
    func inFlightAndEmpty() {
        func file(_ path: String, _ start: Double, _ end: Double) -> RunReportInput.File {
            RunReportInput.File(path: path, status: "fixed", spans: [.init(.agent, start: start, end: end, result: .success)])
        }
        let input = RunReportInput(
            runID: "r", status: "completed", branch: "main", baseCommit: "abc", agent: "mock", dryRun: false,
            createdAt: "t", durationSeconds: 4,
            files: [file("a.py", 0, 3), file("b.py", 1, 2), file("c.py", 1.5, 4), file("d.py", 3.5, 4)])
        let html = HTMLRunReport().render(input)
        #expect(html.contains("files in flight, at most 3"))
        let empty = RunReportInput(
            runID: "r", status: "completed", branch: "main", baseCommit: "abc", agent: "mock", dryRun: false,
            createdAt: "t", durationSeconds: 0, files: [RunReportInput.File(path: "a.py", status: "needs_agent")])
        let page = HTMLRunReport().render(empty)
        #expect(page.contains("No file was started in this run"))
        #expect(!page.contains("<svg class=\"timeline\""))
    }
}
