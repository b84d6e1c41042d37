import Foundation
import GRDB
import StomperProcess

/// What `exportCache` wrote or `importCache` added.
public struct CacheTransfer: Sendable, Hashable, Codable {
    /// Cached verified fixes written (export) or added (import).
    public var fixes = 0
    /// Learning attempts (with their per-code results) written or added.
    public var attempts = 0
    /// Import: cached fixes this ledger already had under the same key (its own are kept).
    public var fixesKept = 0
    /// Import: cached fixes not taken because they hold a secret of this process's environment.
    public var fixesWithSecrets = 0
    /// Import: attempts this ledger already had (the same run, path, attempt, agent and time).
    public var attemptsKept = 0

    public init() {}
}

/// Carrying the verified-fix cache and what was learnt from one CI job to the next
/// (`stomper cache export` / `import`), since each job starts with an empty `.git/stomper`.
///
/// An export holds only the tables a later run reuses: `fix_cache` (verified patches by key) and
/// `attempt` + `attempt_code` (the learning figures, agent ordering and prompt examples are
/// computed from them), plus `grdb_migrations`, which says the schema the rows follow. Runs,
/// jobs, events, receipts and leases stay behind: no run history, no event data. Attempt diffs
/// were redacted when recorded; cached patches are never stored holding a secret.
extension Ledger {
    /// The tables an export holds, in the v1/v3 schema.
    static let cacheTables = ["fix_cache", "attempt", "attempt_code"]

    /// Writes a single-file SQLite snapshot (no WAL beside it) of the fix cache and the learning
    /// tables to `destination`, replacing it. One read transaction on the ledger: consistent even
    /// while another process records a run (WAL lets the read run beside that writer), and the
    /// ledger itself is never written. The file is made 0600 beside `destination` and renamed
    /// over it, so a reader never sees half an export.
    public func exportCache(to destination: String) async throws -> CacheTransfer {
        let source = path
        return try await offPool { try Self.exportNow(from: source, to: destination) }
    }

    /// `exportCache`, blocking the calling thread.
    static func exportNow(from source: String, to destination: String) throws -> CacheTransfer {
        let temporary = destination + ".stomper-\(getpid()).tmp"
        unlink(temporary)
        let descriptor = Foundation.open(temporary, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw LedgerError(.storage, "cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        close(descriptor)
        defer { unlink(temporary) }
        let transfer: CacheTransfer
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(30)
            configuration.label = "stomper.cache-export"
            let connection = try DatabaseQueue(path: source, configuration: configuration)
            transfer = try connection.writeWithoutTransaction { db in
                try db.execute(sql: "ATTACH DATABASE ? AS export", arguments: [temporary])
                defer { try? db.execute(sql: "DETACH DATABASE export") }
                var transfer = CacheTransfer()
                // Deferred: the export's tables take the write lock of the new file only;
                // the ledger is read from one snapshot, taken at its first read.
                try db.inTransaction(.deferred) {
                    try db.execute(sql: Self.exportSchema)
                    try db.execute(sql: "INSERT INTO export.grdb_migrations SELECT identifier FROM main.grdb_migrations")
                    try db.execute(
                        sql: """
                            INSERT INTO export.fix_cache (key, path, patch, patch_sha256, created_at, hits)
                            SELECT key, path, patch, patch_sha256, created_at, hits FROM main.fix_cache
                            """)
                    transfer.fixes = db.changesCount
                    try db.execute(
                        sql: """
                            INSERT INTO export.attempt (id, run_id, path, attempt, agent, outcome, duration_ms, input_tokens,
                                                        output_tokens, cost_usd, diff, created_at)
                            SELECT id, run_id, path, attempt, agent, outcome, duration_ms, input_tokens, output_tokens, cost_usd,
                                   diff, created_at FROM main.attempt
                            """)
                    transfer.attempts = db.changesCount
                    try db.execute(
                        sql: """
                            INSERT INTO export.attempt_code (attempt_id, linter, code, targeted, fixed)
                            SELECT attempt_id, linter, code, targeted, fixed FROM main.attempt_code
                            """)
                    return .commit
                }
                return transfer
            }
            try connection.close()
        } catch {
            throw LedgerError(.storage, "exporting the ledger's cache to \(destination) failed: \(error)", underlying: error)
        }
        guard rename(temporary, destination) == 0 else {
            throw LedgerError(.storage, "cannot write \(destination): \(String(cString: strerror(errno)))")
        }
        return transfer
    }

    /// Merges the fix cache and the learning attempts of `file` (an export, or a whole ledger)
    /// into this ledger, keeping what is already here: a key this ledger has keeps its own fix,
    /// an attempt already recorded (same run, path, attempt number, agent and time) is not
    /// added again, so importing the same file twice changes nothing.
    ///
    /// `file` is read in full and checked before anything is written: one that is not a stomper
    /// ledger is `.notALedger`, one with a schema migration this stomper does not know is
    /// `.newerSchema`; either way the ledger is untouched. The merge is one transaction. Cached
    /// patches holding a secret of this process's environment are left out, and attempt diffs
    /// are redacted, as when this ledger records its own.
    public func importCache(from file: String) async throws -> CacheTransfer {
        let known = Set(Self.migrator.migrations)
        let snapshot = try await offPool { try CacheSnapshot.read(file, knownMigrations: known) }
        let redactor = self.redactor
        return try await write { db in
            var transfer = CacheTransfer()
            for fix in snapshot.fixes {
                guard redactor.redact(fix.patch) == fix.patch else {
                    transfer.fixesWithSecrets += 1
                    continue
                }
                if try Self.insert(fix, db) { transfer.fixes += 1 } else { transfer.fixesKept += 1 }
            }
            for attempt in snapshot.attempts {
                let record = attempt.record
                let present =
                    try Bool.fetchOne(
                        db,
                        sql: """
                            SELECT EXISTS (SELECT 1 FROM attempt WHERE run_id = ? AND path = ? AND attempt = ? AND agent = ? AND created_at = ?)
                            """, arguments: [record.runID, record.path, record.attempt, record.agent, record.createdAt]) ?? false
                if present {
                    transfer.attemptsKept += 1
                    continue
                }
                try db.execute(
                    sql: """
                        INSERT INTO attempt (run_id, path, attempt, agent, outcome, duration_ms, input_tokens, output_tokens, cost_usd,
                                             diff, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        record.runID, record.path, record.attempt, record.agent, attempt.outcome,
                        record.durationMilliseconds, record.inputTokens, record.outputTokens, record.costUSD,
                        record.diff.map(redactor.redact), record.createdAt,
                    ])
                let id = db.lastInsertedRowID
                for code in record.codes {
                    try db.execute(
                        sql: """
                            INSERT OR IGNORE INTO attempt_code (attempt_id, linter, code, targeted, fixed) VALUES (?, ?, ?, ?, ?)
                            """, arguments: [id, code.linter, code.code, code.targeted, code.fixed])
                }
                transfer.attempts += 1
            }
            return transfer
        }
    }

    /// Adds a cached fix unless its key is there; true if it was added.
    static func insert(_ fix: CacheSnapshot.Fix, _ db: Database) throws -> Bool {
        try db.execute(
            sql: """
                INSERT OR IGNORE INTO fix_cache (key, path, patch, patch_sha256, created_at, hits) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [fix.key, fix.path, fix.patch, fix.patchSHA256, fix.createdAt, fix.hits])
        return db.changesCount > 0
    }

    /// The export's tables: those of migrations v1 (fix cache) and v3 (learning), and the list of
    /// migrations the rows follow.
    static let exportSchema = """
        CREATE TABLE export.grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
        CREATE TABLE export.fix_cache (
            key TEXT PRIMARY KEY,
            path TEXT NOT NULL,
            patch TEXT NOT NULL,
            patch_sha256 TEXT NOT NULL,
            created_at TEXT NOT NULL,
            hits INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE export.attempt (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id TEXT NOT NULL,
            path TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            agent TEXT NOT NULL,
            outcome TEXT NOT NULL,
            duration_ms INTEGER NOT NULL,
            input_tokens INTEGER,
            output_tokens INTEGER,
            cost_usd REAL,
            diff TEXT,
            created_at TEXT NOT NULL
        );
        CREATE TABLE export.attempt_code (
            attempt_id INTEGER NOT NULL REFERENCES attempt(id) ON DELETE CASCADE,
            linter TEXT NOT NULL,
            code TEXT NOT NULL,
            targeted INTEGER NOT NULL,
            fixed INTEGER NOT NULL,
            PRIMARY KEY (attempt_id, linter, code)
        );
        """
}

/// The cache and learning rows of a file to import, read and checked in full before the merge.
struct CacheSnapshot: Sendable {
    struct Fix: Sendable {
        var key: String
        var path: String
        var patch: String
        var patchSHA256: String
        var createdAt: String
        var hits: Int
    }

    struct Attempt: Sendable {
        var record: AttemptRecord
        /// Stored as found: learning counts `fixed` and `improved`, whatever else it says.
        var outcome: String
    }

    var fixes: [Fix] = []
    var attempts: [Attempt] = []

    static func read(_ file: String, knownMigrations: Set<String>) throws -> CacheSnapshot {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw LedgerError(.notFound, "\(file) does not exist: nothing to import (export one with `stomper cache export FILE`)")
        }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.label = "stomper.cache-import"
        // The file comes from elsewhere (a CI cache): nothing its schema defines may run functions.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA trusted_schema = OFF") }
        let notALedger = { (reason: String, error: (any Error)?) in
            LedgerError(
                .notALedger, "\(file) is not a stomper ledger or cache export (\(reason)); nothing was imported",
                underlying: error)
        }
        do {
            let connection = try DatabaseQueue(path: file, configuration: configuration)
            defer { try? connection.close() }
            return try connection.read { db in
                let tables = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'"))
                guard tables.contains("grdb_migrations") else { throw notALedger("no schema migrations table", nil) }
                if let missing = Ledger.cacheTables.first(where: { !tables.contains($0) }) {
                    throw notALedger("no \(missing) table", nil)
                }
                let applied = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
                if let unknown = applied.first(where: { !knownMigrations.contains($0) }) {
                    throw LedgerError(
                        .newerSchema,
                        "\(file) was written by a newer stomper (schema migration \"\(unknown)\" is unknown "
                            + "to this one); upgrade stomper here, or export with this version; nothing was imported")
                }
                var snapshot = CacheSnapshot()
                do {
                    for row in try Row.fetchAll(db, sql: "SELECT * FROM fix_cache ORDER BY key") {
                        snapshot.fixes.append(
                            Fix(
                                key: try row.decode(forColumn: "key"), path: try row.decode(forColumn: "path"),
                                patch: try row.decode(forColumn: "patch"),
                                patchSHA256: try row.decode(forColumn: "patch_sha256"),
                                createdAt: try row.decode(forColumn: "created_at"), hits: try row.decode(forColumn: "hits")))
                    }
                    var codes: [Int64: [AttemptRecord.CodeResult]] = [:]
                    for row in try Row.fetchAll(db, sql: "SELECT * FROM attempt_code ORDER BY attempt_id, linter, code") {
                        codes[try row.decode(forColumn: "attempt_id"), default: []].append(
                            AttemptRecord.CodeResult(
                                linter: try row.decode(forColumn: "linter"), code: try row.decode(forColumn: "code"),
                                targeted: try row.decode(forColumn: "targeted"), fixed: try row.decode(forColumn: "fixed")))
                    }
                    for row in try Row.fetchAll(db, sql: "SELECT * FROM attempt ORDER BY id") {
                        let id: Int64 = try row.decode(forColumn: "id")
                        let outcome: String = try row.decode(forColumn: "outcome")
                        let record = AttemptRecord(
                            runID: try row.decode(forColumn: "run_id"), path: try row.decode(forColumn: "path"),
                            attempt: try row.decode(forColumn: "attempt"), agent: try row.decode(forColumn: "agent"),
                            outcome: AttemptOutcome(rawValue: outcome) ?? .agentFailed,
                            durationMilliseconds: try row.decode(forColumn: "duration_ms"),
                            inputTokens: try row.decode(forColumn: "input_tokens"), outputTokens: try row.decode(forColumn: "output_tokens"),
                            costUSD: try row.decode(forColumn: "cost_usd"), diff: try row.decode(forColumn: "diff"),
                            codes: codes[id] ?? [], createdAt: try row.decode(forColumn: "created_at"))
                        snapshot.attempts.append(Attempt(record: record, outcome: outcome))
                    }
                } catch let error as RowDecodingError {
                    throw notALedger("a row does not follow the ledger's schema", error)
                }
                return snapshot
            }
        } catch let error as LedgerError {
            throw error
        } catch let error as DatabaseError {
            throw notALedger("SQLite: \(error.message ?? "\(error.resultCode)")", error)
        } catch {
            throw LedgerError(.storage, "cannot read \(file): \(error)", underlying: error)
        }
    }
}
