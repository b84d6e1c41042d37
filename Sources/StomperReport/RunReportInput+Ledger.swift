public import StomperLedger
import Foundation
import StomperCore
import StomperQuality

extension RunReportInput {
    /// The report's input from what the ledger recorded of one run.
    ///
    /// The ledger has no phase table: the timeline is derived from the job events, which carry
    /// millisecond timestamps. `job.started` ends the wait for a slot (measured from the start of
    /// the run, or of the resume, before it); `agent.started`/`agent.finished` bound each attempt;
    /// from an attempt's end (or a `cache.hit`) to the next attempt, `land.started` or
    /// `job.finished` is verification; `land.started` to `land.finished` is the landing. What a
    /// job did between `job.started` and its first attempt (claiming the file, leasing a
    /// worktree) is `preparing`.
    ///
    /// `diffs`: landed diffs by path, read from the commits by the caller; without one, the diff
    /// of the file's last accepted attempt is shown (the attempts table keeps those, redacted,
    /// when learning is on — the only source for a dry run).
    public static func make(
        run: RunRecord, jobs: [JobRecord], events: [EventRecord], attempts: [AttemptRecord],
        receipts: [ReceiptRecord], learning: [LearningFigure] = [], diffs: [String: String] = [:]
    ) -> RunReportInput {
        let ordered = events.sorted { ($0.sequence ?? 0) < ($1.sequence ?? 0) }
        let origin = Self.milliseconds(ordered.first?.timestamp ?? run.createdAt) ?? Self.milliseconds(run.createdAt) ?? 0
        let last = ordered.last.flatMap { Self.milliseconds($0.timestamp) } ?? origin
        let finished = run.finishedAt.flatMap(Self.milliseconds) ?? last
        let end = Double(max(last, finished) - origin) / 1000
        let attemptsByPath = Dictionary(grouping: attempts, by: \.path)
        let receiptsByPath = Dictionary(receipts.map { ($0.path, $0) }, uniquingKeysWith: { _, newer in newer })
        let spans = Self.spans(ordered, origin: origin, end: end, attempts: attemptsByPath)
        var parallel: Int?
        if let started = ordered.first(where: { $0.type == "run.started" }) {
            parallel = Self.object(started.data)["parallel"] as? Int
        }
        // With learning off the attempts table stays empty: the `agent.finished` events still say
        // who ran, how long, with which tokens, and whether the agent itself failed.
        var eventAttempts: [String: [Attempt]] = [:]
        for event in ordered where event.type == "agent.finished" {
            guard let path = event.job else { continue }
            let data = Self.object(event.data)
            let result = data["result"] as? String ?? "completed"
            eventAttempts[path, default: []].append(
                Attempt(
                    number: data["attempt"] as? Int ?? 0, agent: data["agent"] as? String ?? "",
                    outcome: result == "completed" ? "completed" : "agent_failed",
                    milliseconds: data["ms"] as? Int ?? 0, inputTokens: data["input_tokens"] as? Int, outputTokens: data["output_tokens"] as? Int))
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        var codes = Set<String>()
        let files = jobs.map { job -> File in
            let outcome = job.outcome.flatMap { try? decoder.decode(FileOutcome.self, from: Data($0.utf8)) }
            let tried = (attemptsByPath[job.path] ?? []).sorted { $0.attempt < $1.attempt }
            let accepted = tried.last { $0.outcome == .fixed || $0.outcome == .improved }
            var file = File(path: job.path, status: outcome?.status.rawValue ?? Self.status(job.state))
            switch job.state {
            case .landed(let commit): file.commit = commit
            case .failed(let reason), .skipped(let reason): file.reason = reason
            default: break
            }
            file.reason = outcome?.reason ?? file.reason
            let planned = (try? decoder.decode([Diagnostic].self, from: Data(job.diagnostics.utf8))) ?? []
            file.diagnosticsBefore = outcome?.diagnosticsBefore ?? planned.count
            // Codes exactly as the linter reported them: the receipt's canonical JSON, else the
            // accepted attempt's per-code results, else the outcome's.
            if let receipt = receiptsByPath[job.path],
                let counts = try? JSONDecoder().decode([String: Int].self, from: Data(receipt.diagnosticsFixed.utf8))
            {
                file.fixed = counts
            } else if let accepted, file.status != "failed", file.status != "skipped" {
                file.fixed = Dictionary(accepted.codes.filter { $0.fixed > 0 }.map { ($0.code, $0.fixed) }, uniquingKeysWith: +)
            } else {
                file.fixed = outcome?.fixed ?? [:]
            }
            var seen = Set<String>()
            for (diagnostic, needsAgent) in (outcome?.remaining ?? []).map({ ($0, false) }) + (outcome?.needsAgent ?? []).map({ ($0, true) }) {
                let key = "\(diagnostic.line)\u{1f}\(diagnostic.code)\u{1f}\(diagnostic.message)"
                guard seen.insert(key).inserted else { continue }
                file.remaining.append(
                    Remaining(
                        line: diagnostic.line, code: diagnostic.code, message: diagnostic.message,
                        needsAgent: needsAgent))
            }
            file.remaining.sort { ($0.line, $0.code) < ($1.line, $1.code) }
            file.needsAgent = file.remaining.filter(\.needsAgent).count
            file.attempts = tried.map {
                Attempt(
                    number: $0.attempt, agent: $0.agent, outcome: $0.outcome.rawValue, milliseconds: $0.durationMilliseconds,
                    inputTokens: $0.inputTokens, outputTokens: $0.outputTokens, costUSD: $0.costUSD)
            }
            if file.attempts.isEmpty { file.attempts = eventAttempts[job.path] ?? [] }
            file.diff = diffs[job.path] ?? accepted?.diff
            file.spans = spans[job.path] ?? []
            codes.formUnion(planned.map(\.code))
            codes.formUnion(file.remaining.map(\.code))
            return file
        }
        var notes: [String] = []
        if !jobs.isEmpty, spans.isEmpty {
            notes.append("no job events were recorded for this run, so the timeline is empty")
        }
        let figures = learning.filter { codes.contains($0.code) }
            .map {
                Learning(
                    code: "\($0.linter)/\($0.code)", agent: $0.agent, attempts: $0.attempts, successes: $0.successes,
                    meanMilliseconds: $0.meanMilliseconds)
            }
            .sorted { ($0.code, $0.agent) < ($1.code, $1.agent) }
        return RunReportInput(
            runID: run.id, status: run.status.rawValue, branch: run.branch, baseCommit: run.baseCommit,
            agent: Self.agentName(run.agent), dryRun: run.dryRun, createdAt: run.createdAt,
            finishedAt: run.finishedAt, durationSeconds: max(0, end), parallel: parallel, files: files,
            learning: figures, notes: notes)
    }

    /// The timeline spans of every job, from its events (see `make`).
    static func spans(
        _ events: [EventRecord], origin: Int64, end: Double,
        attempts: [String: [AttemptRecord]]
    ) -> [String: [Span]] {
        var result: [String: [Span]] = [:]
        var open: [String: (phase: Span.Phase, start: Double, attempt: Int)] = [:]
        var sessionStart = 0.0
        func close(_ path: String, at time: Double, result outcome: Span.Result = .neutral) {
            guard let current = open.removeValue(forKey: path) else { return }
            result[path, default: []].append(Span(current.phase, start: current.start, end: time, result: outcome))
        }
        for event in events {
            guard let stamp = Self.milliseconds(event.timestamp) else { continue }
            let time = Double(stamp - origin) / 1000
            guard let path = event.job else {
                if event.type == "run.started" || event.type == "run.resumed" {
                    // A job still open when its run stopped ends there.
                    for path in open.keys { close(path, at: time) }
                    sessionStart = time
                }
                continue
            }
            let data = Self.object(event.data)
            switch event.type {
            case "job.started":
                close(path, at: time)
                if time > sessionStart { result[path, default: []].append(Span(.waiting, start: sessionStart, end: time)) }
                open[path] = (.preparing, time, 0)
            case "agent.started":
                close(path, at: time)
                open[path] = (.agent, time, data["attempt"] as? Int ?? 0)
            case "agent.finished":
                let number = open[path]?.attempt ?? (data["attempt"] as? Int ?? 0)
                let recorded = attempts[path]?.first { $0.attempt == number }
                let outcome: Span.Result
                switch recorded?.outcome {
                case .fixed: outcome = .success
                case .improved: outcome = .partial
                case .notFixed, .rejected: outcome = .refused
                case .agentFailed: outcome = .failed
                case nil: outcome = (data["result"] as? String ?? "completed") == "completed" ? .neutral : .failed
                }
                close(path, at: time, result: outcome)
                open[path] = (.verify, time, number)
            case "cache.hit":
                close(path, at: time)
                open[path] = (.verify, time, 0)
            case "land.started":
                close(path, at: time)
                open[path] = (.land, time, 0)
            case "land.finished":
                close(path, at: time, result: data["result"] as? String == "landed" ? .success : .failed)
            case "job.finished":
                let status = data["status"] as? String
                let outcome: Span.Result =
                    switch status {
                    case "fixed", "would_fix": .success
                    case "partially_fixed": .partial
                    case "failed": .refused
                    default: .neutral
                    }
                close(path, at: time, result: open[path]?.phase == .verify ? outcome : .neutral)
            default:
                break
            }
        }
        for path in open.keys { close(path, at: end) }
        return result
    }

    static func status(_ state: JobState) -> String {
        switch state {
        case .landed: return "fixed"
        default: return state.name
        }
    }

    static func object(_ json: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] ?? [:]
    }

    /// The agent's readable name from the run's agent JSON (`{"kind":…,"name":…}`).
    static func agentName(_ json: String) -> String {
        let object = object(json)
        guard let kind = object["kind"] as? String else { return json }
        guard let name = object["name"] as? String, !name.isEmpty, name != kind else { return kind }
        return "\(kind):\(name)"
    }

    /// Milliseconds since 1970 of a ledger timestamp (`2026-11-22T10:15:00.123Z`); nil if it is
    /// not one. Whole milliseconds, so differences are exact.
    static func milliseconds(_ timestamp: String) -> Int64? {
        let bytes = Array(timestamp.utf8)
        guard bytes.count >= 20, bytes[4] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                guard index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 else { return nil }
                value = value * 10 + Int(bytes[index] - 48)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
            let minute = number(14..<16), let second = number(17..<19)
        else { return nil }
        var fraction = 0
        if bytes[19] == UInt8(ascii: "."), let milliseconds = number(20..<23) { fraction = milliseconds }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        return Int64(timegm(&parts)) * 1000 + Int64(fraction)
    }
}
