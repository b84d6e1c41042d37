import GRDB

extension Ledger {
    /// SQLite's `PRAGMA integrity_check` of the database: `["ok"]` when it is sound, else the
    /// problems it lists (at most 100). For `stomper doctor`.
    public func integrityCheck() async throws -> [String] {
        try await read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check(100)") }
    }

    /// The number of migrations this build knows; `appliedMigrations()` of a current ledger has
    /// as many.
    public static var knownMigrations: Int { migrator.migrations.count }
}
