import Foundation
import StomperAgents
import StomperCore
import StomperLedger
import StomperQuality
import StomperTestSupport
import Testing

/// The verified-fix cache: a job with the same idempotency key reuses a verified patch without
/// asking the agent, but only when the patch still verifies.
@Suite(.tags(.unit)) struct PipelineCacheTests {
    @Test func verifiedFixIsReusedWithoutCallingTheAgent() async throws {
        try await withTemporaryDirectory { root in
            let harness = try await PipelineHarness.make(in: root, files: ["a.py": "a = 1  # ERR:E1\n"])
            // A dry run verifies and caches the fix, and commits nothing.
            let first = FakeAgent { $0.removingMarkers(["E1"]) }
            let dry = try await harness.run(harness.pipeline([first]), dryRun: true)
            #expect(dry.outcome("a.py")?.status == .wouldFix)
            #expect(first.calls.count == 1)
            #expect(try await harness.subjects() == ["initial"])

            // The same work again (same agent identity, file, tools): the cached patch lands.
            let second = FakeAgent { _ in
                Issue.record("the agent was asked despite a cached fix"); return AgentOutcome(status: .completed)
            }
            let run = try await harness.run(harness.pipeline([second]))
            #expect(run.plan.jobs.map(\.key) == dry.plan.jobs.map(\.key))
            let outcome = try #require(run.outcome("a.py"))
            #expect(outcome.status == .fixed)
            #expect(outcome.agentCalls == 0 && outcome.attempts == 0)
            #expect(second.calls.isEmpty)
            #expect(try await harness.committed("a.py") == "a = 1\n")
            #expect(try await harness.ledger.receipts(runID: run.plan.runID).map(\.cacheHit) == [true])
        }
    }

    @Test func cacheIsNotUsedWhenTheRunSaysSo() async throws {
        try await withTemporaryDirectory { root in
            let harness = try await PipelineHarness.make(in: root, files: ["a.py": "a = 1  # ERR:E1\n"])
            let agent = FakeAgent { $0.removingMarkers(["E1"]) }
            _ = try await harness.run(harness.pipeline([agent]), dryRun: true)
            let run = try await harness.run(harness.pipeline([agent]), useCache: false)
            #expect(run.outcome("a.py")?.status == .fixed)
            #expect(agent.calls.count == 2)
            #expect(try await harness.ledger.receipts(runID: run.plan.runID).map(\.cacheHit) == [false])
        }
    }

    @Test func cachedFixThatNoLongerVerifiesIsDroppedAndTheAgentAskedAgain() async throws {
        try await withTemporaryDirectory { root in
            let harness = try await PipelineHarness.make(in: root, files: ["a.py": "a = 1  # ERR:E1\n"])
            let first = FakeAgent { _ in "a = print(1)\n" }
            let dry = try await harness.run(harness.pipeline([first]), dryRun: true)
            #expect(dry.outcome("a.py")?.status == .wouldFix)

            // The linter's own configuration now flags print calls: same key, but the cached
            // patch introduces a diagnostic.
            let linter = FakeLinter(flagging: ["print(": "T201"])
            let second = FakeAgent { $0.removingMarkers(["E1"]) }
            let run = try await harness.run(harness.pipeline([second], linter: linter))
            #expect(run.plan.jobs.map(\.key) == dry.plan.jobs.map(\.key))
            let outcome = try #require(run.outcome("a.py"))
            #expect(outcome.status == .fixed)
            #expect(second.calls.count == 1)
            #expect(try await harness.committed("a.py") == "a = 1\n")
            #expect(try await harness.ledger.events(runID: run.plan.runID, type: "cache.rejected").count == 1)
            #expect(try await harness.ledger.receipts(runID: run.plan.runID).map(\.cacheHit) == [false])
        }
    }
}
