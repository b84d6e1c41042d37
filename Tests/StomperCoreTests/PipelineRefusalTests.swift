import Foundation
import StomperAgents
import StomperCore
import StomperGit
import StomperLedger
import StomperQuality
import StomperTestSupport
import Testing

/// The other ways verification refuses an attempt (scope, a commit in the worktree, failing
/// tests), narrowing of rule-based fixers, and agent work stopped by its budget.
@Suite(.tags(.unit)) struct PipelineRefusalTests {
    static let file = "a = 1  # ERR:E1\n"

    @Test func changeOutsideTheFileIsRefusedAsOutOfScope() async throws {
        try await withTemporaryDirectory { root in
            let harness = try await PipelineHarness.make(in: root, files: ["a.py": Self.file])
            let agent = FakeAgent { request in
                try FakeAgent.rewrite(request) { $0.removingMarkers(["E1"]) }
                try Data("x = 1\n".utf8).write(to: URL(fileURLWithPath: request.worktree + "/other.py"))
                return AgentOutcome(status: .completed)
            }
            let run = try await harness.run(harness.pipeline([agent]))

            let outcome = try #require(run.outcome("a.py"))
            #expect(outcome.status == .failed)
            #expect(outcome.refusal == .scope)
            #expect(outcome.reason?.hasPrefix("patch rejected: ") == true)
            #expect(outcome.reason?.contains("other.py") == true)
            #expect(try await harness.subjects() == ["initial"])
            #expect(!FileManager.default.fileExists(atPath: harness.fixture.root + "/other.py"))
        }
    }

    /// An agent that is not contained is watched: a hook it plants in the common git directory is
    /// found, removed, and nothing of its attempt lands.
    @Test func uncontainedAgentWritingAHookIsRefusedAndTheHookRemoved() async throws {
        try await withTemporaryDirectory { root in
            let harness = try await PipelineHarness.make(in: root, files: ["a.py": Self.file])
            let hook = harness.repository.commonDir + "/hooks/post-commit"
            let agent = FakeAgent(contained: false) { request in
                try FakeAgent.rewrite(request) { $0.removingMarkers(["E1"]) }
                try Data("#!/bin/sh\necho pwned\n".utf8).write(to: URL(fileURLWithPath: hook))
                return AgentOutcome(status: .completed)
            }
            let run = try await harness.run(harness.pipeline([agent]))

            let outcome = try #require(run.outcome("a.py"))
            #expect(outcome.status == .failed)
            #expect(outcome.refusal == .scope)
            #expect(outcome.reason == "agent wrote under .git (hooks/post-commit); restored, nothing committed")
            #expect(!FileManager.default.fileExists(atPath: hook))
            #expect(try await harness.subjects() == ["initial"])
        }
    }

    @Test func commitInTheWorktreeEndsThatAgentsTurnAndTheNextAgentIsAsked() async throws {
        try await withTemporaryDirectory { root in
            let harness = try await PipelineHarness.make(in: root, files: ["a.py": Self.file])
            let committer = FakeAgent(name: "committer") { request in
                try FakeAgent.rewrite(request) { $0.removingMarkers(["E1"]) }
                try await GitFixture(root: request.worktree).git("commit", "-q", "--no-verify", "-am", "agent commit")
                return AgentOutcome(status: .completed)
            }
            let next = FakeAgent(name: "next") { $0.removingMarkers(["E1"]) }
            let configuration = PipelineHarness.configuration { $0.maxAttempts = 3 }
            let run = try await harness.run(harness.pipeline([committer, next], configuration: configuration))

            // Final refusal: no second attempt for the committer, whatever maxAttempts says.
            #expect(committer.calls.count == 1)
            #expect(next.calls.count == 1)
            #expect(next.filesSeen == [Self.file])
            let outcome = try #require(run.outcome("a.py"))
            #expect(outcome.status == .fixed)
            #expect(try await harness.subjects().count == 2)
            #expect(try await harness.subjects().contains("agent commit") == false)
        }
    }

    @Test func commitInTheWorktreeIsRefusedAsOutOfScope() async throws {
        try await withTemporaryDirectory { root in
            let harness = try await PipelineHarness.make(in: root, files: ["a.py": Self.file])
            let committer = FakeAgent { request in
                try FakeAgent.rewrite(request) { $0.removingMarkers(["E1"]) }
                try await GitFixture(root: request.worktree).git("commit", "-q", "--no-verify", "-am", "agent commit")
                return AgentOutcome(status: .completed)
            }
            let run = try await harness.run(harness.pipeline([committer]))

            let outcome = try #require(run.outcome("a.py"))
            #expect(outcome.status == .failed)
            #expect(outcome.refusal == .scope)
            #expect(outcome.reason == "agent made a commit in its worktree; discarded, nothing committed")
            #expect(try await harness.subjects() == ["initial"])
        }
    }

    @Test func failingTestsRefuseTheAttemptAndTheNextAttemptIsToldWhy() async throws {
        try await withTemporaryDirectory { root in
            let harness = try await PipelineHarness.make(in: root, files: ["a.py": Self.file])
            // The "tests" fail when the file says `broken`; the first attempt writes that.
            let tests = try TestCommand(
                argv: ["sh", "-c", "if grep -q broken {file}; then echo 'test_a failed'; exit 1; fi"],
                timeout: .seconds(60))
            let agent = FakeAgent { request in
                try FakeAgent.rewrite(request) { _ in request.attempt == 1 ? "a = broken\n" : "a = 1\n" }
                return AgentOutcome(status: .completed)
            }
            let configuration = PipelineHarness.configuration { $0.maxAttempts = 2 }
            let run = try await harness.run(harness.pipeline([agent], tests: tests, configuration: configuration))

            let outcome = try #require(run.outcome("a.py"))
            #expect(outcome.status == .fixed)
            #expect(outcome.attempts == 2)
            try #require(agent.calls.count == 2)
            #expect(agent.calls[1].feedback?.notes == ["the tests failed after the change"])
            #expect(agent.calls[1].feedback?.testOutput?.contains("test_a failed") == true)
            #expect(try await harness.committed("a.py") == "a = 1\n")
        }
    }

    @Test func fixThatAlwaysBreaksTheTestsIsRefused() async throws {
        try await withTemporaryDirectory { root in
            let harness = try await PipelineHarness.make(in: root, files: ["a.py": Self.file])
            let tests = try TestCommand(argv: ["sh", "-c", "! grep -q broken {file}"], timeout: .seconds(60))
            let agent = FakeAgent { _ in "a = broken\n" }
            let run = try await harness.run(harness.pipeline([agent], tests: tests))

            let outcome = try #require(run.outcome("a.py"))
            #expect(outcome.status == .failed)
            #expect(outcome.refusal == .testsFailed)
            #expect(outcome.reason?.hasPrefix("the tests failed after the fix: ") == true)
            #expect(try await harness.subjects() == ["initial"])
        }
    }

    @Test func ruleBasedFixerIsNarrowedToTheRulesWhoseFixesVerify() async throws {
        try await withTemporaryDirectory { root in
            let harness = try await PipelineHarness.make(in: root, files: ["a.py": "a = 1  # FIX:E1\nx = 0\nb = 2  # FIX:E2\n"])
            // The fix of E2 brings in E9 on the line it rewrites; the fix of E1 is clean.
            let fixer = FakeAgent(name: "autofix", narrowsByRule: true) { request in
                let codes = Set(request.diagnostics.map(\.code))
                try FakeAgent.rewrite(request) { text in
                    let fixed = text.removingMarkers(codes.subtracting(["E2"]).sorted())
                    return codes.contains("E2") ? fixed.replacingOccurrences(of: "# FIX:E2", with: "# ERR:E9") : fixed
                }
                return AgentOutcome(status: .completed)
            }
            let run = try await harness.run(harness.pipeline([fixer]))

            let outcome = try #require(run.outcome("a.py"))
            try #require(fixer.calls.map { $0.diagnostics.map(\.code).sorted() } == [["E1", "E2"], ["E1"]])
            try #require(fixer.calls.count == 2)
            #expect(Set(fixer.calls[1].leaveAlone.map(\.code)) == ["E2"])
            #expect(outcome.status == .partiallyFixed)
            #expect(outcome.fixed == ["E1": 1])
            #expect(Array(outcome.droppedRules.keys) == ["fake:E2"])
            #expect(try await harness.committed("a.py") == "a = 1\nx = 0\nb = 2  # FIX:E2\n")
        }
    }

    @Test func filesLeftWhenTheCallBudgetIsSpentAreDeferredForResume() async throws {
        try await withTemporaryDirectory { root in
            let harness = try await PipelineHarness.make(in: root, files: ["a.py": Self.file, "b.py": "b = 1  # ERR:E1\n"])
            let agent = FakeAgent { $0.removingMarkers(["E1"]) }
            let configuration = PipelineHarness.configuration {
                $0.maxAgentCalls = 1
                $0.maxParallelFiles = 1
            }
            let run = try await harness.run(harness.pipeline([agent], configuration: configuration))

            #expect(agent.calls.map(\.path) == ["a.py"])
            #expect(run.outcome("a.py")?.status == .fixed)
            let left = try #require(run.outcome("b.py"))
            #expect(left.status == .skipped && left.deferred)
            #expect(left.reason == "the agent call budget (--max-agent-calls 1) is spent; the files not started are left for `stomper resume`")
            #expect(left.attempts == 0)
            #expect(try await harness.jobState(run, "b.py") == .planned)
            #expect(try await harness.ledger.run(run.plan.runID)?.status == .interrupted)
        }
    }
}
