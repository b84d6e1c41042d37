import Foundation
@testable import StomperLedger
import StomperProcess
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct LedgerRedactionTests {
    /// The bytes of the database and its write-ahead log: where a stored value could be found.
    static func storedBytes(_ dir: String) throws -> Data {
        var bytes = Data()
        for suffix in ["", "-wal"] {
            let path = dir + "/stomper/state.sqlite" + suffix
            if FileManager.default.fileExists(atPath: path) { bytes += try Data(contentsOf: URL(fileURLWithPath: path)) }
        }
        return bytes
    }

    /// An API key that an agent wrote into its diff is not in the SQLite files afterwards: the
    /// attempt's diff is stored redacted, and a cached patch holding it is not stored at all.
    @Test func secretsInDiffsNeverReachTheDatabase() async throws {
        try await withTemporaryDirectory { dir in
            let secret = "sk-test-\(UUID().uuidString)"
            let ledger = try Ledger.open(commonDir: dir, redactor: Redactor(environment: ["OPENAI_API_KEY": secret]))
            let diff = "--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-x = 1\n+KEY = \"\(secret)\"\n"
            try await ledger.recordAttempt(
                AttemptRecord(
                    runID: "run-1", path: "a.py", attempt: 1, agent: "mock", outcome: .fixed,
                    durationMilliseconds: 1, diff: diff,
                    codes: [.init(linter: "ruff", code: "F401", targeted: 1, fixed: 1)]))
            let stored = try await ledger.storeFix(key: "k1", path: "a.py", patch: "{\"patch\":\"\(secret)\"}", patchSHA256: "x")
            #expect(!stored)
            #expect(try await ledger.storeFix(key: "k2", path: "a.py", patch: "{\"patch\":\"clean\"}", patchSHA256: "y"))
            let attempts = try await ledger.attempts(runID: "run-1")
            #expect(attempts.first?.diff?.contains(Redactor.replacement) == true)
            #expect(try await ledger.cachedFix(key: "k1") == nil)
            #expect(try Self.storedBytes(dir).range(of: Data(secret.utf8)) == nil)
        }
    }
}
