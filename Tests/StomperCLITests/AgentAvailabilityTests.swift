import Foundation
import StomperProcess
import StomperTestSupport
import Testing

/// Only a command that starts agents needs them installed: with an agent configured whose program
/// is not here (a preset, a command) or whose key is not set (chat), `check` and `docgen` work and
/// `fix` refuses with the reason.
@Suite(.tags(.e2e), .timeLimit(.minutes(5))) struct AgentAvailabilityTests {
    @Test(arguments: [
        ["STOMPER_FIX_AGENT": "claude", "STOMPER_AGENT_EXECUTABLE": "/nonexistent/claude-not-installed"],
        ["STOMPER_FIX_AGENT": "command", "STOMPER_AGENT_COMMAND": "[\"/nonexistent/fixer\", \"{file}\"]"],
        ["STOMPER_FIX_AGENT": "chat", "STOMPER_AGENT_MODEL": "some-model", "STOMPER_AGENT_CHAT_API_KEY_ENV": "STOMPER_TEST_UNSET_KEY"],
    ])
    func checkAndDocgenDoNotNeedTheAgentFixDoes(_ agent: [String: String]) async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 1, unfixable: 1)
            var environment: [String: String?] = agent.mapValues { $0 }
            environment["STOMPER_TEST_UNSET_KEY"] = .some(nil)
            let check = try await repo.stomper(["check"], environment: environment)
            #expect(check.exitCode == 1, "diagnostics found, no error: \(check.stderrText)")
            #expect(check.stdoutText.contains("src/pkg/fixable_0.py: will be fixed"), "\(check.stdoutText)")
            let docgen = try await repo.stomper(["docgen", "src/pkg/fixable_0.py", "--json"], environment: environment)
            #expect(docgen.exitCode == 0, "\(docgen.stdoutText) \(docgen.stderrText)")
            let head = try await repo.fixture.head()
            let fix = try await repo.stomper(["fix"], environment: environment)
            #expect(fix.exitCode == 2, "\(fix.stdoutText) \(fix.stderrText)")
            #expect(
                fix.stderrText.contains("not on PATH") || fix.stderrText.contains("was not found")
                    || fix.stderrText.contains("STOMPER_TEST_UNSET_KEY is not set"), "\(fix.stderrText)")
            #expect(try await repo.fixture.head() == head)
        }
    }
}
