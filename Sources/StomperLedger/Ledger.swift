import Dispatch
import Foundation
import GRDB
public import StomperProcess
import Synchronization

/// The durable record of every run: SQLite through GRDB, in `.git/stomper/state.sqlite` of the
/// repository's common git directory, so every worktree and every process on the repository
/// shares it and it never shows in `git status`.
///
/// WAL mode lets readers (`stomper tail -f` in another terminal) run beside the writer. Every write
/// is one `BEGIN IMMEDIATE` transaction on GRDB's single writer queue — the CRIT_DB resource: a
/// writer from another process is waited for at most `maxWait`, then `LedgerError.busy`; any error
/// rolls the transaction back. `synchronous = NORMAL`: a killed process never corrupts or loses a
/// committed transaction; a power cut may lose the last ones, which `resume` recovers from git.
public final class Ledger: Sendable {
    public let path: String
    /// Applied to every column that may hold agent output or a diff (attempt diffs); a cached
    /// patch that holds a secret is not stored at all (see `storeFix`).
    public let redactor: Redactor
    private let pool: DatabasePool
    /// CRIT_DB telemetry of this process since the last flush (see `flushWriteStatistics`).
    let writeStatistics = Mutex(WriteStatistics())

    /// Opens (creating and migrating if needed) the ledger of the repository whose common git
    /// directory is `commonDir`. The folder is created 0700 and the database 0600.
    /// `redactor` removes secrets from what is stored (by default: values of this process's
    /// environment variables named like secrets).
    public static func open(commonDir: String, maxWait: Duration = .seconds(10), redactor: Redactor = .process) throws -> Ledger {
        let folder = commonDir + "/stomper"
        let path = folder + "/state.sqlite"
        do {
            try FileManager.default.createDirectory(
                atPath: folder, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
        } catch {
            throw LedgerError(.storage, "cannot create \(folder): \(error.localizedDescription)", underlying: error)
        }
        if !FileManager.default.fileExists(atPath: path) {
            // SQLite would create the file with the umask's permissions; the ledger may hold paths
            // and diagnostics of private code, so it is readable by its owner only.
            let descriptor = Foundation.open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
            if descriptor >= 0 { close(descriptor) }
        }
        return try Ledger(path: path, maxWait: maxWait, redactor: redactor)
    }

    init(path: String, maxWait: Duration, redactor: Redactor = .process) throws {
        self.path = path
        self.redactor = redactor
        var configuration = Configuration()
        let (seconds, attoseconds) = maxWait.components
        configuration.busyMode = .timeout(TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18)
        configuration.label = "stomper.ledger"
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            // Processes opening a new ledger together must not both run a migration (the first
            // migrates, the others then find it applied), nor switch it to WAL at once: SQLite
            // answers a second `PRAGMA journal_mode = WAL` during the first one's switch with
            // "database is locked" without waiting on the busy timeout. Opening and migrating
            // happen under one lock file; a ledger already in WAL mode holds it for a moment.
            let lock = Foundation.open(path + ".migrate-lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            if lock >= 0 { flock(lock, LOCK_EX) }
            defer { if lock >= 0 { flock(lock, LOCK_UN); close(lock) } }
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
        } catch {
            throw LedgerError(.storage, "cannot open the ledger \(path): \(error)", underlying: error)
        }
    }

    /// Ordered migrations; each runs once, in a transaction, and is recorded by GRDB.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: runs, jobs, events, receipts, fix cache") { db in
            try db.execute(
                sql: """
                    CREATE TABLE run (
                        id TEXT PRIMARY KEY,
                        status TEXT NOT NULL,
                        branch TEXT NOT NULL,
                        base_commit TEXT NOT NULL,
                        config_hash TEXT NOT NULL,
                        config_json TEXT NOT NULL,
                        tool_versions TEXT NOT NULL,
                        agent TEXT NOT NULL,
                        snapshot_id TEXT NOT NULL,
                        dry_run INTEGER NOT NULL,
                        pid INTEGER NOT NULL,
                        host TEXT NOT NULL,
                        created_at TEXT NOT NULL,
                        updated_at TEXT NOT NULL,
                        finished_at TEXT
                    );
                    CREATE TABLE snapshot (
                        id TEXT NOT NULL,
                        run_id TEXT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                        manifest TEXT NOT NULL,
                        PRIMARY KEY (run_id)
                    );
                    CREATE TABLE job (
                        run_id TEXT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                        path TEXT NOT NULL,
                        key TEXT NOT NULL,
                        base_blob TEXT NOT NULL,
                        diagnostics TEXT NOT NULL,
                        state TEXT NOT NULL,
                        attempt INTEGER NOT NULL DEFAULT 0,
                        commit_id TEXT,
                        reason TEXT,
                        outcome TEXT,
                        updated_at TEXT NOT NULL,
                        PRIMARY KEY (run_id, path)
                    );
                    CREATE INDEX job_key ON job(key);
                    CREATE TABLE event (
                        sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                        schema_version INTEGER NOT NULL,
                        timestamp TEXT NOT NULL,
                        level TEXT NOT NULL,
                        run_id TEXT,
                        job TEXT,
                        type TEXT NOT NULL,
                        step TEXT NOT NULL,
                        data TEXT NOT NULL
                    );
                    CREATE INDEX event_run ON event(run_id, sequence);
                    CREATE TABLE receipt (
                        run_id TEXT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                        path TEXT NOT NULL,
                        key TEXT NOT NULL,
                        commit_id TEXT NOT NULL,
                        patch_sha256 TEXT NOT NULL,
                        diagnostics_fixed TEXT NOT NULL,
                        agent_calls INTEGER NOT NULL,
                        agent_seconds REAL NOT NULL,
                        total_seconds REAL NOT NULL,
                        cache_hit INTEGER NOT NULL,
                        created_at TEXT NOT NULL,
                        PRIMARY KEY (run_id, path)
                    );
                    CREATE TABLE fix_cache (
                        key TEXT PRIMARY KEY,
                        path TEXT NOT NULL,
                        patch TEXT NOT NULL,
                        patch_sha256 TEXT NOT NULL,
                        created_at TEXT NOT NULL,
                        hits INTEGER NOT NULL DEFAULT 0
                    );
                    """)
        }
        migrator.registerMigration("v2: leases and fencing tokens") { db in
            try db.execute(
                sql: """
                    CREATE TABLE lease (
                        resource TEXT PRIMARY KEY,
                        class TEXT NOT NULL,
                        key TEXT NOT NULL,
                        holder_id TEXT NOT NULL,
                        pid INTEGER NOT NULL,
                        host TEXT NOT NULL,
                        run_id TEXT,
                        token INTEGER NOT NULL,
                        acquired_at INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL
                    );
                    CREATE TABLE lease_fence (
                        resource TEXT PRIMARY KEY,
                        token INTEGER NOT NULL
                    );
                    CREATE TABLE lease_counter (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        value INTEGER NOT NULL
                    );
                    INSERT INTO lease_counter (id, value) VALUES (1, 0);
                    CREATE INDEX event_step_type ON event(step, type);
                    """)
        }
        migrator.registerMigration("v3: learning from verified attempts") { db in
            try db.execute(
                sql: """
                    CREATE TABLE attempt (
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
                    CREATE INDEX attempt_run ON attempt(run_id);
                    CREATE TABLE attempt_code (
                        attempt_id INTEGER NOT NULL REFERENCES attempt(id) ON DELETE CASCADE,
                        linter TEXT NOT NULL,
                        code TEXT NOT NULL,
                        targeted INTEGER NOT NULL,
                        fixed INTEGER NOT NULL,
                        PRIMARY KEY (attempt_id, linter, code)
                    );
                    CREATE INDEX attempt_code_code ON attempt_code(code);
                    """)
        }
        migrator.registerMigration("v4: where a run lands (the checkout, or only a branch ref)") { db in
            try db.execute(sql: "ALTER TABLE run ADD COLUMN landing TEXT NOT NULL DEFAULT 'checkout'")
        }
        return migrator
    }

    /// The names of the migrations applied, in order (for tests and `doctor`).
    public func appliedMigrations() async throws -> [String] {
        try await read { db in try Self.migrator.appliedMigrations(db) }
    }

    /// This ledger's own serial queue. A queue of its own (not a global one) gets a thread even
    /// when long libgit2 calls occupy the global queues' few threads, so ledger writes never wait
    /// behind them; GRDB serializes writes anyway. One per ledger: another connection's wait (a
    /// second process, or a second ledger in a test) must not block this one.
    private let queue = DispatchQueue(label: "stomper.ledger", qos: .userInitiated)

    /// Runs blocking database work on the ledger's queue and waits for it, ignoring cancellation.
    func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try work() })
            }
        }
    }

    // MARK: Single-writer path (CRIT_DB)

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction; rolls back if it throws.
    ///
    /// Not cancellable on purpose: a run that is being stopped still records how it stopped, and a
    /// transaction is short. The blocking call runs on a Dispatch thread, off the cooperative pool.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await offPool { try self.writeNow(body) }
    }

    /// `write`, blocking the calling thread (for a check inside another component's critical section).
    func writeNow<T>(_ body: (Database) throws -> T) throws -> T {
        let start = ContinuousClock.now
        do {
            return try pool.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    // The writer lock is ours from here: what came before was the wait for CRIT_DB.
                    writeStatistics.withLock { $0.record(wait: ContinuousClock.now - start) }
                    result = try body(db)
                    return .commit
                }
                return result!
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
            writeStatistics.withLock { $0.busy += 1 }
            throw LedgerError(.busy, "the ledger is busy: another stomper process kept it locked too long; try again", underlying: error)
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError(.storage, "writing the ledger failed: \(error)", underlying: error)
        }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let pool = self.pool
        do {
            return try await offPool { try pool.read(body) }
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError(.storage, "reading the ledger failed: \(error)", underlying: error)
        }
    }
}
