import Foundation
import GRDB
import StomperProcess

extension Ledger {
    public func jobs(runID: String) async throws -> [JobRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM job WHERE run_id = ? ORDER BY path", arguments: [runID]).map(Self.job)
        }
    }

    public func job(runID: String, path: String) async throws -> JobRecord? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM job WHERE run_id = ? AND path = ?", arguments: [runID, path]).map(Self.job)
        }
    }

    /// Moves a job to `next`, refusing transitions the state machine forbids. `outcome` (JSON)
    /// replaces the stored one when given. `events` are appended in the same transaction, first.
    public func transition(
        runID: String, path: String, to next: JobState, outcome: String? = nil,
        events: [EventRecord] = []
    ) async throws {
        try await write { db in
            for event in events { try Self.insert(event, db) }
            try Self.move(runID: runID, path: path, to: next, outcome: outcome, db)
        }
    }

    /// Checks and applies one transition inside the caller's transaction.
    static func move(runID: String, path: String, to next: JobState, outcome: String?, _ db: Database) throws {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM job WHERE run_id = ? AND path = ?", arguments: [runID, path]) else {
            throw LedgerError(.notFound, "no job \(path) in run \(runID)")
        }
        let current = Self.job(row).state
        guard current.canTransition(to: next) else {
            throw LedgerError(.illegalTransition, "job \(path) cannot go from \(current.name) to \(next.name)")
        }
        let columns = Self.columns(next)
        try db.execute(
            sql: """
                UPDATE job SET state = ?, attempt = ?, commit_id = ?, reason = ?, outcome = COALESCE(?, outcome), updated_at = ?
                WHERE run_id = ? AND path = ?
                """, arguments: [next.name, columns.attempt, columns.commit, columns.reason, outcome, Timestamp.now(), runID, path])
    }

    /// Replaces a job's plan (resume re-plans a file that changed): new key, base blob and
    /// diagnostics, back to `planned`.
    public func replan(_ job: JobRecord) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    UPDATE job SET key = ?, base_blob = ?, diagnostics = ?, state = 'planned', attempt = 0, commit_id = NULL,
                                   reason = NULL, outcome = NULL, updated_at = ?
                    WHERE run_id = ? AND path = ?
                    """, arguments: [job.key, job.baseBlob, job.diagnostics, Timestamp.now(), job.runID, job.path])
            guard db.changesCount == 1 else { throw LedgerError(.notFound, "no job \(job.path) in run \(job.runID)") }
        }
    }

    static func job(_ row: Row) -> JobRecord {
        let name: String = row["state"]
        let reason: String = row["reason"] ?? ""
        let state: JobState
        switch name {
        case "running": state = .running(attempt: row["attempt"])
        case "verified": state = .verified
        case "landed": state = .landed(commit: row["commit_id"] ?? "")
        case "failed": state = .failed(reason: reason)
        case "skipped": state = .skipped(reason: reason)
        default: state = .planned
        }
        return JobRecord(
            runID: row["run_id"], path: row["path"], key: row["key"], baseBlob: row["base_blob"],
            diagnostics: row["diagnostics"], state: state, outcome: row["outcome"], updatedAt: row["updated_at"])
    }

    // MARK: Receipts

    /// Records a landed job in one transaction: its state, outcome, receipt and event, so the
    /// ledger never says "landed" without the receipt or the other way round.
    public func recordLanding(
        runID: String, path: String, state: JobState, outcome: String, receipt: ReceiptRecord,
        event: EventRecord
    ) async throws {
        try await write { db in
            try Self.move(runID: runID, path: path, to: state, outcome: outcome, db)
            try Self.insert(receipt, db)
            try Self.insert(event, db)
        }
    }

    public func saveReceipt(_ receipt: ReceiptRecord) async throws {
        try await write { db in try Self.insert(receipt, db) }
    }

    static func insert(_ receipt: ReceiptRecord, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT OR REPLACE INTO receipt (run_id, path, key, commit_id, patch_sha256, diagnostics_fixed, agent_calls,
                                                agent_seconds, total_seconds, cache_hit, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                receipt.runID, receipt.path, receipt.key, receipt.commit, receipt.patchSHA256, receipt.diagnosticsFixed,
                receipt.agentCalls, receipt.agentSeconds, receipt.totalSeconds, receipt.cacheHit, receipt.createdAt,
            ])
    }

    public func receipts(runID: String) async throws -> [ReceiptRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM receipt WHERE run_id = ? ORDER BY path", arguments: [runID]).map { row in
                ReceiptRecord(
                    runID: row["run_id"], path: row["path"], key: row["key"], commit: row["commit_id"],
                    patchSHA256: row["patch_sha256"], diagnosticsFixed: row["diagnostics_fixed"],
                    agentCalls: row["agent_calls"], agentSeconds: row["agent_seconds"],
                    totalSeconds: row["total_seconds"], cacheHit: row["cache_hit"], createdAt: row["created_at"])
            }
        }
    }

    // MARK: Fix cache

    public func cachedFix(key: String) async throws -> CachedFix? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM fix_cache WHERE key = ?", arguments: [key]).map { row in
                CachedFix(
                    key: row["key"], path: row["path"], patch: row["patch"], patchSHA256: row["patch_sha256"],
                    createdAt: row["created_at"], hits: row["hits"])
            }
        }
    }

    /// Stores a verified patch under its key (the first one stays: the same key means the same work).
    ///
    /// A cached patch is re-applied byte for byte, so it cannot be redacted; one that holds a
    /// secret (redacting would change it) is not stored at all, and returns false: the next run
    /// asks the agent again instead of finding the secret in the ledger.
    @discardableResult
    public func storeFix(key: String, path: String, patch: String, patchSHA256: String) async throws -> Bool {
        guard redactor.redact(patch) == patch else { return false }
        try await write { db in
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO fix_cache (key, path, patch, patch_sha256, created_at) VALUES (?, ?, ?, ?, ?)
                    """, arguments: [key, path, patch, patchSHA256, Timestamp.now()])
        }
        return true
    }

    public func recordCacheHit(key: String) async throws {
        try await write { db in try db.execute(sql: "UPDATE fix_cache SET hits = hits + 1 WHERE key = ?", arguments: [key]) }
    }

    public func forgetFix(key: String) async throws {
        try await write { db in try db.execute(sql: "DELETE FROM fix_cache WHERE key = ?", arguments: [key]) }
    }
}
