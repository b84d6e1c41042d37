import Foundation
import StomperProcess
import StomperTestSupport
import Testing

/// End-of-line conversion through the built binary with real ruff (issue 14): in a repository
/// whose attributes say `*.py text eol=crlf`, the fixes land as git would store them (no CR in
/// the blobs), the working files keep CRLF, and nothing is left staged or modified.
@Suite(.tags(.e2e), .timeLimit(.minutes(10))) struct LineEndingEndToEndTests {
    @Test func fixesInACRLFRepositoryLandAsGitStoresThem() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(
                at: dir + "/repo", fixable: 2,
                extra: [".gitattributes": "*.py text eol=crlf\n"])
            // Check the files out again: the working tree then holds CRLF, as a clone would.
            for index in 0..<2 { try FileManager.default.removeItem(atPath: repo.root + "/src/pkg/fixable_\(index).py") }
            try await repo.fixture.git("checkout", "--", ".")
            let checkedOut = try Data(contentsOf: URL(fileURLWithPath: repo.root + "/src/pkg/fixable_0.py"))
            #expect(checkedOut.contains(0x0D))

            let result = try await repo.stomper("fix", "--parallel", "2", "--json")
            #expect(result.exitCode == 0, "\(result.stderrText)")
            let outcomes = try repo.outcomes(try repo.report(result))
            #expect(outcomes.count == 2)
            #expect(outcomes.values.allSatisfy { $0["status"] as? String == "fixed" }, "\(outcomes)")
            #expect(try await repo.commitCount() == 3)
            for index in 0..<2 {
                let path = "src/pkg/fixable_\(index).py"
                let blob = try await repo.fixture.git("cat-file", "blob", "HEAD:" + path)
                #expect(!blob.contains("\r"), "the commit holds CR in \(path)")
                #expect(blob == PythonSamples.fixed(index))
                let working = try Data(contentsOf: URL(fileURLWithPath: repo.root + "/" + path))
                #expect(working == Data(PythonSamples.fixed(index).replacingOccurrences(of: "\n", with: "\r\n").utf8))
            }
            #expect(try await repo.status().isEmpty)
            #expect(try await repo.fixture.git("diff", "--cached", "--stat").isEmpty)
        }
    }
}
