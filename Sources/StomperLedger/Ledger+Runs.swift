import Foundation
import GRDB

extension Ledger {
    /// Records a new run with its snapshot manifest and planned jobs, in one transaction.
    public func createRun(_ run: RunRecord, manifest: String, jobs: [JobRecord]) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO run (id, status, branch, base_commit, config_hash, config_json, tool_versions, agent,
                                     snapshot_id, dry_run, pid, host, created_at, updated_at, finished_at, landing)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    run.id, run.status.rawValue, run.branch, run.baseCommit, run.configHash, run.configJSON,
                    run.toolVersions, run.agent, run.snapshotID, run.dryRun, run.pid, run.host, run.createdAt,
                    run.updatedAt, run.finishedAt, run.landing.rawValue,
                ])
            try db.execute(
                sql: "INSERT INTO snapshot (id, run_id, manifest) VALUES (?, ?, ?)",
                arguments: [run.snapshotID, run.id, manifest])
            for job in jobs { try Self.insert(job, db) }
        }
    }

    static func insert(_ job: JobRecord, _ db: Database) throws {
        let columns = Self.columns(job.state)
        try db.execute(
            sql: """
                INSERT INTO job (run_id, path, key, base_blob, diagnostics, state, attempt, commit_id, reason, outcome, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                job.runID, job.path, job.key, job.baseBlob, job.diagnostics, job.state.name, columns.attempt,
                columns.commit, columns.reason, job.outcome, job.updatedAt,
            ])
    }

    static func columns(_ state: JobState) -> (attempt: Int, commit: String?, reason: String?) {
        switch state {
        case .planned, .verified: return (0, nil, nil)
        case .running(let attempt): return (attempt, nil, nil)
        case .landed(let commit): return (0, commit, nil)
        case .failed(let reason), .skipped(let reason): return (0, nil, reason)
        }
    }

    public func setRunStatus(_ runID: String, _ status: RunStatus) async throws {
        try await write { db in
            let now = Timestamp.now()
            try db.execute(
                sql: "UPDATE run SET status = ?, updated_at = ?, finished_at = ? WHERE id = ?",
                arguments: [status.rawValue, now, status.isUnfinished ? nil : now, runID])
            guard db.changesCount == 1 else { throw LedgerError(.notFound, "no run \(runID) in the ledger") }
        }
    }

    /// Takes a run over for this process (resume): new pid and host, status running.
    public func adoptRun(_ runID: String, pid: Int32, host: String) async throws {
        try await write { db in
            try db.execute(
                sql: "UPDATE run SET status = 'running', pid = ?, host = ?, updated_at = ?, finished_at = NULL WHERE id = ?",
                arguments: [pid, host, Timestamp.now(), runID])
            guard db.changesCount == 1 else { throw LedgerError(.notFound, "no run \(runID) in the ledger") }
        }
    }

    public func run(_ id: String) async throws -> RunRecord? {
        try await read { db in try Row.fetchOne(db, sql: "SELECT * FROM run WHERE id = ?", arguments: [id]).map(Self.run) }
    }

    /// Runs, newest first.
    public func runs(limit: Int = 50) async throws -> [RunRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM run ORDER BY created_at DESC, id DESC LIMIT ?", arguments: [limit]).map(Self.run)
        }
    }

    /// The newest run that is `running` or `interrupted`.
    /// Every running or interrupted run, newest first.
    public func unfinishedRuns() async throws -> [RunRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM run WHERE status IN ('running', 'interrupted') ORDER BY created_at DESC, id DESC")
                .map(Self.run)
        }
    }

    public func latestUnfinishedRun() async throws -> RunRecord? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM run WHERE status IN ('running', 'interrupted') ORDER BY created_at DESC, id DESC LIMIT 1")
                .map(Self.run)
        }
    }

    public func manifest(runID: String) async throws -> String? {
        try await read { db in try String.fetchOne(db, sql: "SELECT manifest FROM snapshot WHERE run_id = ?", arguments: [runID]) }
    }

    static func run(_ row: Row) -> RunRecord {
        RunRecord(
            id: row["id"], status: RunStatus(rawValue: row["status"]) ?? .failed, branch: row["branch"],
            baseCommit: row["base_commit"], configHash: row["config_hash"], configJSON: row["config_json"],
            toolVersions: row["tool_versions"], agent: row["agent"], snapshotID: row["snapshot_id"],
            dryRun: row["dry_run"], pid: row["pid"], host: row["host"], createdAt: row["created_at"],
            updatedAt: row["updated_at"], finishedAt: row["finished_at"],
            // A value this build does not know must not be resumed as a checkout landing.
            landing: RunLanding(rawValue: row["landing"]) ?? .branch)
    }

    /// Deletes a run and everything recorded for it (events too).
    public func deleteRun(_ runID: String) async throws {
        try await write { db in
            try db.execute(sql: "DELETE FROM event WHERE run_id = ?", arguments: [runID])
            try db.execute(sql: "DELETE FROM run WHERE id = ?", arguments: [runID])
        }
    }
}
