import Foundation
import StomperAgents
import StomperCore
import StomperGit
import StomperLedger
import StomperQuality
import StomperTestSupport
import Testing

/// The attempt loop and the landing decisions of the real pipeline, driven by fake agents and a
/// marker linter over a real repository: what each kind of attempt leads to, and what lands.
@Suite(.tags(.unit)) struct PipelineAttemptTests {
    static let twoMarkers = "a = 1  # ERR:E1\nb = 2  # ERR:E2\n"

    private func codes(_ diagnostics: [Diagnostic]) -> [String] { diagnostics.map(\.code).sorted() }

    @Test func agentFixingEverythingLandsOneCommitPerFile() async throws {
        try await withTemporaryDirectory { root in
            let harness = try await PipelineHarness.make(
                in: root,
                files: [
                    "a.py": Self.twoMarkers, "b.py": "c = 3  # FIX:F1\n",
                    "clean.py": "d = 4\n",
                ])
            let agent = FakeAgent { $0.removingMarkers(["E1", "E2", "F1"]) }
            let run = try await harness.run(harness.pipeline([agent]))

            #expect(run.plan.jobs.map(\.path) == ["a.py", "b.py"])
            let a = try #require(run.outcome("a.py"))
            #expect(a.status == .fixed)
            #expect(a.fixed == ["E1": 1, "E2": 1])
            #expect(a.remaining.isEmpty && a.refusal == nil)
            #expect(a.attempts == 1 && a.agentCalls == 1)
            #expect(run.outcome("b.py")?.status == .fixed)
            #expect(agent.calls.count == 2)
            #expect(try await harness.committed("a.py") == "a = 1\nb = 2\n")
            #expect(try await harness.committed("b.py") == "c = 3\n")
            // One commit per file, each touching only its own file, on top of the initial one.
            let subjects = try await harness.subjects()
            #expect(subjects.count == 3)
            #expect(subjects.dropLast().sorted().map { $0.prefix(16) } == ["fix(fake): a.py:", "fix(fake): b.py:"])
            for path in ["a.py", "b.py"] {
                let commit = try #require(run.outcome(path)?.commit)
                #expect(try await harness.paths(changedBy: commit.hex) == [path])
                #expect(try await harness.jobState(run, path) == .landed(commit: commit.hex))
            }
            // The working tree of the checked-out branch got the fix too.
            #expect(try harness.fixture.read("a.py") == "a = 1\nb = 2\n")
        }
    }

    @Test func partialFixLandsAndSaysWhatRemains() async throws {
        try await withTemporaryDirectory { root in
            let harness = try await PipelineHarness.make(in: root, files: ["a.py": Self.twoMarkers])
            let agent = FakeAgent { $0.removingMarkers(["E1"]) }
            let run = try await harness.run(harness.pipeline([agent]))

            let outcome = try #require(run.outcome("a.py"))
            #expect(outcome.status == .partiallyFixed)
            #expect(outcome.reason == "1 diagnostic remains")
            #expect(outcome.fixed == ["E1": 1])
            #expect(codes(outcome.remaining) == ["E2"])
            #expect(outcome.commit != nil)
            #expect(try await harness.committed("a.py") == "a = 1\nb = 2  # ERR:E2\n")
            #expect(try await harness.subjects().count == 2)
        }
    }

    @Test func partialFixIsNotLandedWhenLandPartialIsOff() async throws {
        try await withTemporaryDirectory { root in
            let harness = try await PipelineHarness.make(in: root, files: ["a.py": Self.twoMarkers])
            let agent = FakeAgent { $0.removingMarkers(["E1"]) }
            let configuration = PipelineHarness.configuration { $0.landPartial = false }
            let run = try await harness.run(harness.pipeline([agent], configuration: configuration))

            let outcome = try #require(run.outcome("a.py"))
            #expect(outcome.status == .failed)
            #expect(outcome.reason == "1 diagnostic remains (E2); an improvement was verified but not committed (fix.land_partial is off)")
            #expect(outcome.commit == nil && outcome.fixed.isEmpty && outcome.changed)
            #expect(codes(outcome.remaining) == ["E1", "E2"])
            #expect(try await harness.subjects() == ["initial"])
            #expect(try await harness.jobState(run, "a.py") == .failed(reason: outcome.reason!))
        }
    }

    @Test func nextAgentInTheChainGetsOnlyWhatTheFirstLeft() async throws {
        try await withTemporaryDirectory { root in
            let harness = try await PipelineHarness.make(in: root, files: ["a.py": Self.twoMarkers])
            let first = FakeAgent(name: "first") { $0.removingMarkers(["E1"]) }
            let second = FakeAgent(name: "second") { $0.removingMarkers(["E1", "E2"]) }
            let run = try await harness.run(harness.pipeline([first, second]))

            let outcome = try #require(run.outcome("a.py"))
            #expect(outcome.status == .fixed)
            #expect(outcome.fixed == ["E1": 1, "E2": 1])
            #expect(outcome.attempts == 2 && outcome.agentCalls == 2)
            #expect(first.calls.map { codes($0.diagnostics) } == [["E1", "E2"]])
            #expect(second.calls.map { codes($0.diagnostics) } == [["E2"]])
            // The second agent starts from the first one's kept improvement, not from the base.
            #expect(second.filesSeen == ["a = 1\nb = 2  # ERR:E2\n"])
            #expect(try await harness.committed("a.py") == "a = 1\nb = 2\n")
            #expect(try await harness.subjects().count == 2)
        }
    }

    @Test func agentThatCannotFixAFileIsNotAskedAndTheNextOneIs() async throws {
        try await withTemporaryDirectory { root in
            let harness = try await PipelineHarness.make(in: root, files: ["a.py": "a = 1  # ERR:E1\n", "b.py": "b = 1  # FIX:F1\n"])
            let autofix = FakeAgent(name: "autofix", canFix: \.fixable) { $0.removingMarkers(["F1"]) }
            let ai = FakeAgent(name: "ai") { $0.removingMarkers(["E1"]) }
            let run = try await harness.run(harness.pipeline([autofix, ai]))

            #expect(run.outcome("a.py")?.status == .fixed)
            #expect(run.outcome("b.py")?.status == .fixed)
            #expect(autofix.calls.map(\.path) == ["b.py"])
            #expect(ai.calls.map(\.path) == ["a.py"])
        }
    }

    @Test func fileOnlyAnotherKindOfAgentCouldFixNeedsAnAgentAndIsNotAttempted() async throws {
        try await withTemporaryDirectory { root in
            let harness = try await PipelineHarness.make(in: root, files: ["a.py": "a = 1  # ERR:E1\n"])
            let autofix = FakeAgent(name: "autofix", canFix: \.fixable) { $0.removingMarkers(["E1"]) }
            let run = try await harness.run(harness.pipeline([autofix]))

            #expect(run.plan.jobs.isEmpty)
            #expect(run.outcome("a.py")?.status == .needsAgent)
            #expect(autofix.calls.isEmpty)
        }
    }

    @Test func agentThatChangesNothingIsRefusedAsNotFixedAfterEveryAttempt() async throws {
        try await withTemporaryDirectory { root in
            let harness = try await PipelineHarness.make(in: root, files: ["a.py": Self.twoMarkers])
            let agent = FakeAgent { $0 }
            let configuration = PipelineHarness.configuration { $0.maxAttempts = 2 }
            let run = try await harness.run(harness.pipeline([agent], configuration: configuration))

            let outcome = try #require(run.outcome("a.py"))
            #expect(outcome.status == .failed)
            #expect(outcome.refusal == .notFixed)
            #expect(outcome.reason == "agent made no change; 2 diagnostics remain")
            #expect(!outcome.changed)
            #expect(outcome.attempts == 2 && outcome.agentCalls == 2)
            #expect(agent.calls.map(\.attempt) == [1, 2])
            try #require(agent.calls.count == 2)
            #expect(agent.calls[0].feedback == nil)
            #expect(agent.calls[1].feedback?.notes == ["the previous attempt changed nothing"])
            #expect(try await harness.subjects() == ["initial"])
        }
    }

    @Test func agentThatIntroducesADiagnosticIsRefusedAndToldWhat() async throws {
        try await withTemporaryDirectory { root in
            let harness = try await PipelineHarness.make(in: root, files: ["a.py": "a = 1  # ERR:E1\n"])
            let agent = FakeAgent { $0.replacingOccurrences(of: "# ERR:E1", with: "# ERR:E9") }
            let configuration = PipelineHarness.configuration { $0.maxAttempts = 2 }
            let run = try await harness.run(harness.pipeline([agent], configuration: configuration))

            let outcome = try #require(run.outcome("a.py"))
            #expect(outcome.status == .failed)
            #expect(outcome.refusal == .introduced)
            #expect(outcome.reason == "the fix introduced 1 new diagnostic (E9)")
            #expect(codes(outcome.introduced) == ["E9"])
            #expect(outcome.changed && outcome.commit == nil)
            try #require(agent.calls.count == 2)
            #expect(agent.calls[1].feedback.map { codes($0.introduced) } == ["E9"])
            #expect(try await harness.committed("a.py") == "a = 1  # ERR:E1\n")
            #expect(try await harness.subjects() == ["initial"])
        }
    }

    @Test(arguments: [true, false])
    func suppressionIsRefusedOnlyByTheGate(gateOn: Bool) async throws {
        try await withTemporaryDirectory { root in
            let harness = try await PipelineHarness.make(in: root, files: ["a.py": "a = 1  # ERR:E1\n"])
            // Silences the diagnostic instead of fixing it: the linter no longer reports it.
            let agent = FakeAgent { $0.replacingOccurrences(of: "# ERR:E1", with: "# noqa: E1") }
            let run = try await harness.run(harness.pipeline([agent], gate: gateOn ? SuppressionGate() : nil))

            let outcome = try #require(run.outcome("a.py"))
            if gateOn {
                #expect(outcome.status == .failed)
                #expect(outcome.refusal == .gate)
                #expect(outcome.reason?.hasPrefix("suppression gate: ") == true)
                #expect(outcome.reason?.contains("noqa") == true)
                #expect(try await harness.subjects() == ["initial"])
            } else {
                #expect(outcome.status == .fixed)
                #expect(try await harness.committed("a.py") == "a = 1  # noqa: E1\n")
            }
        }
    }

    @Test func unreachableAgentLeavesTheFileForResume() async throws {
        try await withTemporaryDirectory { root in
            let harness = try await PipelineHarness.make(in: root, files: ["a.py": "a = 1  # ERR:E1\n"])
            let agent = FakeAgent { _ in AgentOutcome(status: .unavailable(reason: "connection refused")) }
            let run = try await harness.run(harness.pipeline([agent]))

            let outcome = try #require(run.outcome("a.py"))
            #expect(outcome.status == .skipped)
            #expect(outcome.deferred)
            #expect(outcome.reason == "no agent could be reached (connection refused); left for `stomper resume`")
            #expect(agent.calls.count == 1)
            #expect(try await harness.jobState(run, "a.py") == .planned)
            #expect(try await harness.ledger.run(run.plan.runID)?.status == .interrupted)
            #expect(try await harness.subjects() == ["initial"])
        }
    }

    @Test func agentThatFailsToRunAfterAChangeIsAFailureNotADeferral() async throws {
        try await withTemporaryDirectory { root in
            let harness = try await PipelineHarness.make(in: root, files: ["a.py": "a = 1  # ERR:E1\n"])
            let agent = FakeAgent { _ in AgentOutcome(status: .timedOut(after: .seconds(5))) }
            let run = try await harness.run(harness.pipeline([agent]))

            let outcome = try #require(run.outcome("a.py"))
            #expect(outcome.status == .failed)
            #expect(!outcome.deferred)
            #expect(outcome.refusal == .agentFailed)
            #expect(outcome.reason == "agent timed out after 5s; its processes were killed")
            #expect(try await harness.ledger.run(run.plan.runID)?.status == .completed)
        }
    }

    @Test func agentThatThrowsFailsItsFile() async throws {
        try await withTemporaryDirectory { root in
            let harness = try await PipelineHarness.make(in: root, files: ["a.py": "a = 1  # ERR:E1\n"])
            let agent = FakeAgent { _ in throw FixtureError(message: "bad prompt template") }
            let run = try await harness.run(harness.pipeline([agent]))

            let outcome = try #require(run.outcome("a.py"))
            #expect(outcome.status == .failed)
            #expect(!outcome.deferred)
            #expect(outcome.reason == "bad prompt template")
            #expect(try await harness.jobState(run, "a.py") == .failed(reason: "bad prompt template"))
        }
    }
}
