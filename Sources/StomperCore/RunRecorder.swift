import Foundation
public import StomperLedger
import StomperProcess

/// Writes one run's records to the ledger: job transitions, events, receipts, cached fixes.
/// Every text that may carry agent output goes through the `Redactor` first.
public struct RunRecorder: Sendable {
    public let ledger: Ledger
    public let runID: String
    let redactor: Redactor

    public init(ledger: Ledger, runID: String) {
        self.ledger = ledger
        self.runID = runID
        self.redactor = .process
    }

    /// Times a ledger call into the current job's `ledger` phase.
    @discardableResult
    func timed<T>(_ body: () async throws -> T) async throws -> T {
        guard let clock = PhaseClock.current else { return try await body() }
        return try await clock.measure("ledger", body)
    }

    public func event(_ type: String, step: String, job: String? = nil, level: EventRecord.Level = .info,
                      _ data: [String: CanonicalJSON] = [:]) async throws {
        let text = redactor.redact(CanonicalJSON.object(data).text)
        try await timed { try await ledger.append(EventRecord(level: level, runID: runID, job: job, type: type, step: step, data: text)) }
    }

    public func transition(_ path: String, to state: JobState, outcome: FileOutcome? = nil) async throws {
        try await timed { try await ledger.transition(runID: runID, path: path, to: redacted(state), outcome: outcome.map(encode)) }
    }

    func state(of path: String) async throws -> JobState? {
        try await timed { try await ledger.job(runID: runID, path: path)?.state }
    }

    func cachedFix(key: IdempotencyKey) async throws -> CachedFix? {
        try await timed { try await ledger.cachedFix(key: key.value) }
    }

    func storeFix(key: IdempotencyKey, path: String, patch: String, patchSHA256: String) async throws {
        try await timed { try await ledger.storeFix(key: key.value, path: path, patch: patch, patchSHA256: patchSHA256) }
    }

    func cacheHit(key: IdempotencyKey) async throws {
        try await timed { try await ledger.recordCacheHit(key: key.value) }
    }

    func forgetFix(key: IdempotencyKey) async throws {
        try await timed { try await ledger.forgetFix(key: key.value) }
    }

    func recordLanding(path: String, commit: String, outcome: FileOutcome, receipt: ReceiptRecord, event: EventRecord) async throws {
        try await timed {
            try await ledger.recordLanding(runID: runID, path: path, state: .landed(commit: commit), outcome: encode(outcome),
                                           receipt: receipt, event: event)
        }
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
