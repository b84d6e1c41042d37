import Foundation
import GRDB
import Synchronization
public import StomperCoordination

/// CRIT_DB telemetry of one process: how long write transactions waited for the writer lock.
struct WriteStatistics: Sendable {
    var waits = WaitHistogram()
    var contended = 0
    var busy = 0

    mutating func record(wait: Duration) {
        let (seconds, attoseconds) = wait.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        waits.record(milliseconds: milliseconds)
        if wait > .milliseconds(1) { contended += 1 }
    }
}

/// The durable lease store: leases, per-resource fences and the token counter in the ledger
/// database, shared by every process on the repository, each step one `BEGIN IMMEDIATE`
/// transaction with its coordination events.
public final class LedgerLeaseStore: LeaseStore {
    public let ledger: Ledger

    public init(ledger: Ledger) {
        self.ledger = ledger
    }

    public func transaction<T: Sendable>(
        _ resources: [ResourceDescriptor],
        _ body: @escaping @Sendable (inout LeaseTransaction) throws -> T
    ) async throws -> T {
        do {
            return try await ledger.write { db in try Self.apply(resources, body, db) }
        } catch let error as LedgerError where error.code == .busy {
            throw Self.dbBusy(error)
        }
    }

    public func transactionNow<T: Sendable>(
        _ resources: [ResourceDescriptor],
        _ body: @escaping @Sendable (inout LeaseTransaction) throws -> T
    ) throws -> T {
        do {
            return try ledger.writeNow { db in try Self.apply(resources, body, db) }
        } catch let error as LedgerError where error.code == .busy {
            throw Self.dbBusy(error)
        }
    }

    public func leases() async throws -> [Lease] {
        try await ledger.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM lease ORDER BY class, key").compactMap(Self.lease)
        }
    }

    private static func dbBusy(_ error: LedgerError, file: String = #fileID, line: UInt = #line) -> CoordinationError {
        CoordinationError(
            .dbBusy, resource: ResourceDescriptor(.critDB, "ledger"),
            message: "the ledger stayed locked by another writer longer than the maximum wait; try again",
            underlying: error, file: file, line: line)
    }

    private static func apply<T>(
        _ resources: [ResourceDescriptor], _ body: (inout LeaseTransaction) throws -> T,
        _ db: Database
    ) throws -> T {
        let counter = try UInt64(Int64.fetchOne(db, sql: "SELECT value FROM lease_counter WHERE id = 1") ?? 0)
        var leases: [ResourceDescriptor: Lease] = [:]
        var fences: [ResourceDescriptor: FencingToken] = [:]
        for resource in Set(resources) {
            if let row = try Row.fetchOne(db, sql: "SELECT * FROM lease WHERE resource = ?", arguments: [resource.description]),
                let lease = lease(row)
            {
                leases[resource] = lease
            }
            if let token = try Int64.fetchOne(
                db, sql: "SELECT token FROM lease_fence WHERE resource = ?",
                arguments: [resource.description])
            {
                fences[resource] = FencingToken(UInt64(token))
            }
        }
        let before = LeaseTable(counter: counter, leases: leases, fences: fences)
        var transaction = LeaseTransaction(table: before)
        let result = try body(&transaction)
        let after = transaction.table
        if after.counter != before.counter {
            try db.execute(sql: "UPDATE lease_counter SET value = ? WHERE id = 1", arguments: [Int64(after.counter)])
        }
        for resource in Set(resources) {
            if after.leases[resource] != before.leases[resource] {
                if let lease = after.leases[resource] {
                    try db.execute(
                        sql: """
                            INSERT OR REPLACE INTO lease (resource, class, key, holder_id, pid, host, run_id, token, acquired_at, expires_at)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """,
                        arguments: [
                            resource.description, resource.resourceClass.rawValue, resource.key, lease.holder.id,
                            lease.holder.pid, lease.holder.host, lease.holder.runID, Int64(lease.token.value),
                            lease.acquiredAt, lease.expiresAt,
                        ])
                } else {
                    try db.execute(sql: "DELETE FROM lease WHERE resource = ?", arguments: [resource.description])
                }
            }
            if let token = after.fences[resource], token != before.fences[resource] {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO lease_fence (resource, token) VALUES (?, ?)",
                    arguments: [resource.description, Int64(token.value)])
            }
        }
        for event in transaction.events { try insert(event, db) }
        return result
    }

    private static func lease(_ row: Row) -> Lease? {
        guard let resourceClass = ResourceClass(rawValue: row["class"]) else { return nil }
        let holder = LeaseHolder(id: row["holder_id"], pid: row["pid"], host: row["host"], runID: row["run_id"])
        return Lease(
            resource: ResourceDescriptor(resourceClass, row["key"]), holder: holder,
            token: FencingToken(UInt64(row["token"] as Int64)), acquiredAt: row["acquired_at"], expiresAt: row["expires_at"])
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    private static func insert(_ event: CoordinationEvent, _ db: Database) throws {
        let level: EventRecord.Level
        switch event.kind {
        case .acquired, .released, .renewed, .written: level = .debug
        case .wouldWait, .wouldRefuse, .expired, .evicted: level = .info
        case .busy, .stale, .lost: level = .warning
        }
        let data = String(decoding: try encoder.encode(event), as: UTF8.self)
        try Ledger.insert(
            EventRecord(
                level: level, runID: event.holder.runID,
                job: event.resource.resourceClass == .critCode ? event.resource.key : nil,
                type: event.kind.rawValue, step: "coordination", data: data), db)
    }
}

extension Ledger {
    /// Every coordination event recorded, optionally of one run.
    public func coordinationEvents(runID: String? = nil) async throws -> [CoordinationEvent] {
        let decoder = JSONDecoder()
        return try await coordinationData(typePattern: "lease.%", runID: runID).compactMap {
            try? decoder.decode(CoordinationEvent.self, from: Data($0.utf8))
        }
    }

    /// Per-class contention: leases from their events, CRIT_DB from the write statistics every
    /// process flushes at the end of its run. Merged by addition, so the order of runs is irrelevant.
    public func coordinationStats(runID: String? = nil) async throws -> CoordinationStats {
        var stats = CoordinationStats(try await coordinationEvents(runID: runID))
        let decoder = JSONDecoder()
        for text in try await coordinationData(typePattern: "db.stats", runID: runID) {
            guard let database = try? decoder.decode(ClassStats.self, from: Data(text.utf8)) else { continue }
            var merged = CoordinationStats()
            merged.classes[.critDB] = database
            stats.merge(merged)
        }
        return stats
    }

    /// The data of coordination events whose type matches `typePattern` (SQL LIKE), oldest first.
    private func coordinationData(typePattern: String, runID: String?) async throws -> [String] {
        try await read { db in
            var sql = "SELECT data FROM event WHERE step = 'coordination' AND type LIKE ?"
            var arguments: StatementArguments = [typePattern]
            if let runID {
                sql += " AND run_id = ?"
                arguments += [runID]
            }
            return try String.fetchAll(db, sql: sql + " ORDER BY sequence", arguments: arguments)
        }
    }

    /// Records this process's CRIT_DB telemetry since the last flush as one `db.stats` event.
    public func flushWriteStatistics(runID: String?) async throws {
        let statistics = writeStatistics.withLock { statistics in
            defer { statistics = WriteStatistics() }
            return statistics
        }
        var stats = ClassStats()
        stats.acquisitions = statistics.waits.total
        stats.contended = statistics.contended
        stats.busyErrors = statistics.busy
        stats.waits = statistics.waits
        guard stats.acquisitions > 0 || stats.busyErrors > 0 else { return }
        let data = String(decoding: try LedgerLeaseStore.encoder.encode(stats), as: UTF8.self)
        try await append(EventRecord(level: .debug, runID: runID, type: "db.stats", step: "coordination", data: data))
    }
}
