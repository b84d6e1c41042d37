import Foundation
import StomperGit
import Synchronization
public import StomperLedger
import StomperProcess

/// Writes one run's records to the ledger: job transitions (`transition(_:_:from:)`, the only
/// way a job's state changes), events, receipts, cached fixes.
/// Every text that may carry agent output goes through the `Redactor` first.
///
/// A job's informational events are buffered and written with the job's next state change (one
/// transaction instead of several per file); events that must be durable before what follows —
/// `agent.started` (so `tail -f` shows a long agent call) and `land.started` (before the working
/// tree is touched) — flush the buffer at once, as does any event without a job.
public struct RunRecorder: Sendable {
    public let ledger: Ledger
    public let runID: String
    let redactor: Redactor
    let buffer = EventBuffer()
    /// The clock of the job this copy records for (`timing(into:)`); nil for the run's own records.
    private var clock: PhaseClock?

    /// Event types written at once, with whatever the job had buffered.
    static let flushingTypes: Set<String> = [
        "agent.started", "land.started", "job.finished", "job.reconciled", "job.requeued", "job.replanned",
    ]

    public init(ledger: Ledger, runID: String) {
        self.ledger = ledger
        self.runID = runID
        self.redactor = .process
    }

    /// This recorder, timing its ledger calls into the `ledger` phase of one job's clock. The
    /// copy shares the event buffer.
    func timing(into clock: PhaseClock) -> RunRecorder {
        var copy = self
        copy.clock = clock
        return copy
    }

    /// Times a ledger call into the job's `ledger` phase, when this recorder serves one job.
    @discardableResult
    func timed<T>(_ body: () async throws -> T) async throws -> T {
        guard let clock else { return try await body() }
        return try await clock.measure("ledger", body)
    }

    public func event(
        _ type: String, step: String, job: String? = nil, level: EventRecord.Level = .info,
        _ data: [String: CanonicalJSON] = [:]
    ) async throws {
        let record = self.record(type, step: step, job: job, level: level, data)
        guard let job else {
            try await timed { try await ledger.append(record) }
            return
        }
        buffer.add(record, for: job)
        if Self.flushingTypes.contains(type) || level >= .warning {
            let events = buffer.take(job)
            try await timed { try await ledger.append(events) }
        }
    }

    /// An event as stored: its data redacted.
    func record(_ type: String, step: String, job: String?, level: EventRecord.Level, _ data: [String: CanonicalJSON]) -> EventRecord {
        EventRecord(level: level, runID: runID, job: job, type: type, step: step, data: redactor.redact(CanonicalJSON.object(data).text))
    }

    func cachedFix(key: IdempotencyKey) async throws -> CachedFix? {
        try await timed { try await ledger.cachedFix(key: key.value) }
    }

    /// Caches a verified patch (JSON of a `Patch`) — unless a secret is in it. A cached patch is
    /// re-applied byte for byte, so it cannot be stored redacted; one whose new contents hold a
    /// secret value is not cached at all (the ledger makes the same check on the text). Returns
    /// whether it was stored.
    @discardableResult
    func storeFix(key: IdempotencyKey, path: String, patch: String, patchSHA256: String) async throws -> Bool {
        if let decoded = try? JSONDecoder().decode(Patch.self, from: Data(patch.utf8)) {
            for change in decoded.changes {
                guard let bytes = change.new?.bytes else { continue }
                let text = String(decoding: bytes, as: UTF8.self)
                if redactor.redact(text) != text { return false }
            }
        } else if redactor.redact(patch) != patch {
            return false
        }
        return try await timed { try await ledger.storeFix(key: key.value, path: path, patch: patch, patchSHA256: patchSHA256) }
    }

    func cacheHit(key: IdempotencyKey) async throws {
        try await timed { try await ledger.recordCacheHit(key: key.value) }
    }

    func forgetFix(key: IdempotencyKey) async throws {
        try await timed { try await ledger.forgetFix(key: key.value) }
    }

    func redacted(_ state: JobState) -> JobState {
        switch state {
        case .failed(let reason): return .failed(reason: redactor.redact(reason))
        case .skipped(let reason): return .skipped(reason: redactor.redact(reason))
        default: return state
        }
    }

    func encode(_ outcome: FileOutcome) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.keyEncodingStrategy = .convertToSnakeCase
        var copy = outcome
        copy.diff = nil
        copy.reason = copy.reason.map(redactor.redact)
        return (try? encoder.encode(copy)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

extension CanonicalJSON {
    static func string(_ value: String?) -> CanonicalJSON { value.map { .string($0) } ?? .null }
    static func strings(_ values: [String]) -> CanonicalJSON { .array(values.map { .string($0) }) }
    static func counts(_ values: [String: Int]) -> CanonicalJSON { .object(values.mapValues { .int($0) }) }
    static func milliseconds(_ seconds: Double) -> CanonicalJSON { .int(Int((seconds * 1000).rounded())) }
}

/// Events waiting for their job's next transaction.
final class EventBuffer: Sendable {
    private let pending = Mutex<[String: [EventRecord]]>([:])

    func add(_ event: EventRecord, for job: String) {
        pending.withLock { $0[job, default: []].append(event) }
    }

    func take(_ job: String) -> [EventRecord] {
        pending.withLock { $0.removeValue(forKey: job) ?? [] }
    }
}
