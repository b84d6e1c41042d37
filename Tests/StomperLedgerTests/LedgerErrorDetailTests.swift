import Foundation
import StomperErrors
import StomperLedger
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct LedgerErrorDetailTests {
    @Test func aCorruptLedgerIsExplainedWithSQLitesCodeTheCauseAndTheLocation() async throws {
        try await withTemporaryDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir + "/stomper", withIntermediateDirectories: true)
            try Data(repeating: 0x5A, count: 4096).write(to: URL(fileURLWithPath: dir + "/stomper/state.sqlite"))
            let error = try #require(#expect(throws: LedgerError.self) { _ = try Ledger.open(commonDir: dir) })
            #expect(error.code == .storage)
            let detail = error.detailedDescription
            #expect(detail.hasPrefix(error.description + "\n"))
            #expect(detail.contains("  at StomperLedger/Ledger.swift:"))
            #expect(detail.contains("(LedgerError.storage)"))
            #expect(detail.contains("  sqlite: result code 26 (file is not a database)"))
            #expect(detail.contains("  caused by GRDB.DatabaseError: "))
        }
    }
}
