import Foundation
import GRDB

extension Ledger {
    /// Appends several events in one transaction, in order.
    public func append(_ events: [EventRecord]) async throws {
        guard !events.isEmpty else { return }
        try await write { db in
            for event in events { try Self.insert(event, db) }
        }
    }

    /// Appends an event and returns its sequence number.
    @discardableResult
    public func append(_ event: EventRecord) async throws -> Int64 {
        try await write { db in
            try Self.insert(event, db)
            return db.lastInsertedRowID
        }
    }

    static func insert(_ event: EventRecord, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO event (schema_version, timestamp, level, run_id, job, type, step, data)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                event.schemaVersion, event.timestamp, event.level.rawValue, event.runID, event.job, event.type,
                event.step, event.data,
            ])
    }

    /// Events after `sequence` (exclusive), oldest first, at `minimumLevel` or above, optionally of one run.
    public func events(
        after sequence: Int64 = 0, runID: String? = nil, minimumLevel: EventRecord.Level = .debug,
        limit: Int = 10_000
    ) async throws -> [EventRecord] {
        let levels = EventRecord.Level.allCases.filter { $0 >= minimumLevel }.map(\.rawValue)
        return try await read { db in
            var sql = "SELECT * FROM event WHERE sequence > ? AND level IN (\(levels.map { _ in "?" }.joined(separator: ",")))"
            var arguments: [any DatabaseValueConvertible] = [sequence]
            arguments += levels
            if let runID {
                sql += " AND run_id = ?"
                arguments.append(runID)
            }
            sql += " ORDER BY sequence LIMIT ?"
            arguments.append(limit)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map(Self.event)
        }
    }

    /// The last `limit` events of one type, oldest first.
    public func events(type: String, last limit: Int) async throws -> [EventRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM event WHERE type = ? ORDER BY sequence DESC LIMIT ?", arguments: [type, limit])
                .reversed().map(Self.event)
        }
    }

    static func event(_ row: Row) -> EventRecord {
        var event = EventRecord(
            level: EventRecord.Level(rawValue: row["level"]) ?? .info, runID: row["run_id"], job: row["job"],
            type: row["type"], step: row["step"], data: row["data"], timestamp: row["timestamp"])
        event.sequence = row["sequence"]
        event.schemaVersion = row["schema_version"]
        return event
    }

    /// Events of one type in one run (resume uses `land.started` to find interrupted landings).
    public func events(runID: String, type: String) async throws -> [EventRecord] {
        try await events(runID: runID).filter { $0.type == type }
    }
}
