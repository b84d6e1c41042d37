import Foundation
import StomperErrors
import StomperFiles
import StomperQuality
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct QualityErrorDetailTests {
    @Test func aMissingToolIsExplainedDownToTheProcessLaunch() async throws {
        let error = try #require(
            await #expect(throws: QualityError.self) {
                _ = try await RuffLinter(executable: "/nonexistent/ruff").version()
            })
        let detail = error.detailedDescription
        #expect(detail.contains("(QualityError.toolMissing)"))
        #expect(detail.contains("  at StomperQuality/ToolVersion.swift:"))
        #expect(detail.contains("  tool: ruff"))
        #expect(detail.contains("  command: /nonexistent/ruff --version"))
        #expect(detail.contains("  caused by ProcessError.executableNotFound: executable not found"))
        #expect(detail.contains("    at StomperProcess/ProcessRunner.swift:"))
    }

    /// StomperFiles has no test target of its own; its error is explained here, where it is used.
    @Test func aNoFollowFailureIsExplainedWithItsErrno() async throws {
        try await withTemporaryDirectory { dir in
            let error = try #require(
                #expect(throws: NoFollowError.self) {
                    _ = try NoFollowFolder(root: dir).readRegularFile("missing.py")
                })
            #expect(error.code == .io)
            let detail = error.detailedDescription
            #expect(detail.contains("  at StomperFiles/NoFollowFolder.swift:"))
            #expect(detail.contains("(NoFollowError.io)"))
            #expect(detail.contains("  errno: \(ENOENT) ("))
        }
    }
}
