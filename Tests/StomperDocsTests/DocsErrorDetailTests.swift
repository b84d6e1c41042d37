import Foundation
import StomperDocs
import StomperErrors
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct DocsErrorDetailTests {
    @Test func aFailedWriteIsExplainedWithThePathTheCauseAndTheLocation() async throws {
        try await withTemporaryDirectory { dir in
            // A file where the doc's folder should be: the folder cannot be created.
            try Data("x".utf8).write(to: URL(fileURLWithPath: dir + "/docs"))
            let error = try #require(
                #expect(throws: DocsError.self) {
                    try AtomicFile.write(Array("doc".utf8), to: dir + "/docs/a.md")
                })
            #expect(error.code == .io)
            let detail = error.detailedDescription
            #expect(detail.contains("  at StomperDocs/AtomicFile.swift:"))
            #expect(detail.contains("(DocsError.io)"))
            #expect(detail.contains("  path: \(dir)/docs/a.md"))
            #expect(detail.contains("  caused by "))
        }
    }
}
