import Foundation
import StomperProcess
import StomperTestSupport
import Testing

/// `--verbose` explains the error that stopped a command (type and code, where it was made, the
/// chain of causes with SQLite's code); without it the error stays one message line.
@Suite(.tags(.e2e), .timeLimit(.minutes(5))) struct VerboseErrorEndToEndTests {
    @Test func verboseShowsTheCauseChainOfACorruptLedgerAndThePlainRunDoesNot() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 1)
            try FileManager.default.createDirectory(atPath: repo.root + "/.git/stomper", withIntermediateDirectories: true)
            try Data(repeating: 0x5A, count: 4096).write(to: URL(fileURLWithPath: repo.root + "/.git/stomper/state.sqlite"))
            let explanation = [
                "  at StomperLedger/Ledger.swift:", "(LedgerError.storage)",
                "  sqlite: result code 26 (file is not a database)", "  caused by GRDB.DatabaseError: ",
            ]

            let plain = try await repo.stomper("status")
            #expect(plain.exitCode == 2, "\(plain.stderrText)")
            #expect(plain.stderrText.contains("stomper: error: cannot open the ledger"))
            for text in explanation { #expect(!plain.stderrText.contains(text), "\(plain.stderrText)") }

            let verbose = try await repo.stomper("status", "--verbose")
            #expect(verbose.exitCode == 2)
            #expect(verbose.stderrText.contains("stomper: error: cannot open the ledger"))
            for text in explanation { #expect(verbose.stderrText.contains(text), "\(verbose.stderrText)") }

            // --json keeps its shape; --verbose adds `detail`, the same lines.
            for (arguments, detailed) in [(["status", "--json"], false), (["status", "--json", "--verbose"], true)] {
                let run = try await repo.stomper(arguments)
                #expect(run.exitCode == 2)
                let document = try #require(try JSONSerialization.jsonObject(with: Data(run.standardOutput)) as? [String: Any])
                let error = try #require(document["error"] as? [String: Any], "\(document)")
                #expect(error["code"] as? String == "ledger_storage")
                let detail = error["detail"] as? String
                #expect((detail != nil) == detailed, "\(document)")
                if detailed { for text in explanation { #expect(detail?.contains(text) == true, "\(detail ?? "")") } }
                #expect(try await SchemaValidator.validate([document], against: "error.schema.json") == nil)
            }
        }
    }
}
