import Foundation
import StomperProcess
import StomperTestSupport
import Testing

/// An interrupt that arrives the moment the run is in the ledger, before its work started (what
/// the MCP server's `cancel` does when asked at once): the run ends gracefully, reported as
/// interrupted and left for resume — not killed by SIGINT's default with the run left `running`.
@Suite(.tags(.e2e)) struct EarlyInterruptEndToEndTests {
    @Test func anInterruptRightAfterTheRunBeganEndsItGracefullyForResume() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", unfixable: 2)
            var files: [String: Any] = [:]
            for index in 0..<2 { files["src/pkg/unfixable_\(index).py"] = MockAgent.fixUnfixable(index) }
            let command = try MockAgent.command(script: ["files": files], in: dir)
            let result = try await repo.stomper(
                "fix", "--json", "--agent", "command",
                environment: ["STOMPER_AGENT_COMMAND": command, "STOMPER_FAILPOINT": "run.begun:1:SIGINT"])
            #expect(result.termination == .exited(130), "\(result.termination) \(result.stderrText)")
            let report = try repo.report(result)
            #expect(report["interrupted"] as? Bool == true)
            let status = try await repo.stomper("status", "--json")
            let state = try #require(try JSONSerialization.jsonObject(with: Data(status.standardOutput)) as? [String: Any])
            #expect(state["status"] as? String == "interrupted", "\(state)")
            let resumed = try await repo.stomper("resume", "--json", environment: ["STOMPER_AGENT_COMMAND": command])
            #expect(resumed.exitCode == 0, "\(resumed.stderrText)")
            #expect((try repo.report(resumed)["summary"] as? [String: Any])?["fixed"] as? Int == 2)
        }
    }
}
