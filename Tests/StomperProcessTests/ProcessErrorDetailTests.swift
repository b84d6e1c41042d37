import Foundation
import StomperErrors
import StomperProcess
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct ProcessErrorDetailTests {
    @Test func aFailedLaunchIsExplainedWithTheCommandTheErrnoAndTheLocation() async throws {
        let missing = "/nonexistent-\(UUID().uuidString)"
        let error = try #require(
            await #expect(throws: ProcessError.self) {
                _ = try await ProcessRunner.run(ProcessSpec(executable: "/bin/sh", arguments: ["-c", "true"], workingDirectory: missing))
            })
        let detail = error.detailedDescription
        #expect(detail.contains("  at StomperProcess/ProcessRunner.swift:"))
        // The command line is in the one-line description, and not repeated beneath it.
        #expect(error.description.hasSuffix(": /bin/sh -c true"))
        #expect(!detail.contains("  command: "))
        #expect(detail.contains("  errno: \(ENOENT) ("))
        #expect(detail.contains("  caused by Subprocess.SubprocessError: "))
    }
}
