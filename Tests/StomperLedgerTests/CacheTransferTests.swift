import Foundation
@testable import StomperLedger
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct CacheTransferTests {
    func fix(_ key: String) -> CacheSnapshot.Fix {
        CacheSnapshot.Fix(key: key, path: "a.py", patch: "{\"changes\":[]}", patchSHA256: "00", createdAt: Timestamp.now(), hits: 0)
    }

    /// An export reads committed rows (still in the WAL file) beside a writer holding its
    /// transaction open: it neither waits for that writer nor sees its uncommitted row.
    @Test func anExportBesideAnOpenWriteTransactionIsAConsistentSnapshot() async throws {
        try await withTemporaryDirectory { dir in
            let ledger = try Ledger.open(commonDir: dir)
            try await ledger.storeFix(key: "ik:committed", path: "a.py", patch: "{}", patchSHA256: "00")
            try await ledger.recordAttempt(
                AttemptRecord(
                    runID: "run-1", path: "a.py", attempt: 1, agent: "autofix", outcome: .fixed,
                    durationMilliseconds: 5, diff: "-x\n+y\n",
                    codes: [.init(linter: "ruff", code: "F401", targeted: 1, fixed: 1)]))
            let wal = try FileManager.default.attributesOfItem(atPath: ledger.path + "-wal")[.size] as? Int ?? 0
            #expect(wal > 0)
            let during = try ledger.writeNow { db in
                #expect(try Ledger.insert(fix("ik:uncommitted"), db))
                return try Ledger.exportNow(from: ledger.path, to: dir + "/during.sqlite")
            }
            #expect(during.fixes == 1 && during.attempts == 1)
            #expect(!FileManager.default.fileExists(atPath: dir + "/during.sqlite-wal"))
            let after = try await ledger.exportCache(to: dir + "/after.sqlite")
            #expect(after.fixes == 2)

            // The snapshot imports into another ledger; a second import adds nothing.
            let other = try Ledger.open(commonDir: dir + "/other")
            try await other.storeFix(key: "ik:committed", path: "mine.py", patch: "{\"mine\":1}", patchSHA256: "11")
            let first = try await other.importCache(from: dir + "/during.sqlite")
            #expect(first.fixes == 0 && first.fixesKept == 1 && first.attempts == 1)
            #expect(try await other.cachedFix(key: "ik:committed")?.path == "mine.py")
            let second = try await other.importCache(from: dir + "/after.sqlite")
            #expect(second.fixes == 1 && second.fixesKept == 1 && second.attempts == 0 && second.attemptsKept == 1)
            #expect(try await other.learningFigures().first?.successes == 1)
            #expect(try await other.fixExamples(code: "F401", limit: 5).map(\.diff) == ["-x\n+y\n"])
        }
    }
}
