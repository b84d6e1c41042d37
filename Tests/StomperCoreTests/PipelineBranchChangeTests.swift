import Foundation
import StomperAgents
import StomperCore
import StomperLedger
import StomperTestSupport
import Testing

/// A branch that moves while a run is under way: a fix never lands over someone else's newer
/// version of its file, and a change to another file does not stop it.
@Suite(.tags(.unit)) struct PipelineBranchChangeTests {
    static let file = "a = 1  # ERR:E1\n"
    static let theirs = "a = 1  # ERR:E1\nz = 26\n"

    @Test func fileChangedOnTheBranchAfterPlanningIsLeftToItsWriter() async throws {
        try await withTemporaryDirectory { root in
            let harness = try await PipelineHarness.make(in: root, files: ["a.py": Self.file])
            let agent = FakeAgent { $0.removingMarkers(["E1"]) }
            let run = try await harness.run(
                harness.pipeline([agent]),
                between: {
                    try harness.fixture.write(["a.py": Self.theirs])
                    try await harness.fixture.commitAll("their edit")
                })

            let outcome = try #require(run.outcome("a.py"))
            #expect(outcome.status == .skipped)
            #expect(outcome.leftTo?.hasPrefix("the writer of main at ") == true)
            #expect(outcome.reason?.hasPrefix("changed on main since this run planned it") == true)
            #expect(agent.calls.isEmpty)
            #expect(try await harness.subjects() == ["their edit", "initial"])
            #expect(try await harness.committed("a.py") == Self.theirs)
        }
    }

    @Test func otherFileChangedOnTheBranchAfterPlanningDoesNotStopTheFix() async throws {
        try await withTemporaryDirectory { root in
            let harness = try await PipelineHarness.make(in: root, files: ["a.py": Self.file, "notes.txt": "one\n"])
            let agent = FakeAgent { $0.removingMarkers(["E1"]) }
            let run = try await harness.run(
                harness.pipeline([agent]),
                between: {
                    try harness.fixture.write(["notes.txt": "two\n"])
                    try await harness.fixture.commitAll("their edit")
                })

            #expect(run.outcome("a.py")?.status == .fixed)
            #expect(agent.calls.count == 1)
            #expect(try await harness.subjects().dropFirst() == ["their edit", "initial"])
            #expect(try await harness.committed("a.py") == "a = 1\n")
            #expect(try await harness.committed("notes.txt") == "two\n")
        }
    }

    @Test func fileChangedOnTheBranchWhileTheAgentWorkedIsNotLandedOverIt() async throws {
        try await withTemporaryDirectory { root in
            let harness = try await PipelineHarness.make(in: root, files: ["a.py": Self.file])
            let fixture = harness.fixture
            let agent = FakeAgent { request in
                try fixture.write(["a.py": Self.theirs])
                try await fixture.commitAll("their edit")
                try FakeAgent.rewrite(request) { $0.removingMarkers(["E1"]) }
                return AgentOutcome(status: .completed)
            }
            let run = try await harness.run(harness.pipeline([agent]))

            let outcome = try #require(run.outcome("a.py"))
            #expect(outcome.status == .failed)
            #expect(outcome.commit == nil && outcome.fixed.isEmpty)
            #expect(outcome.reason == "verified fix could not be committed: the file changed on main since the run started (a.py)")
            #expect(try await harness.subjects() == ["their edit", "initial"])
            #expect(try await harness.committed("a.py") == Self.theirs)
            #expect(try fixture.read("a.py") == Self.theirs)
        }
    }

    @Test func otherFileChangedOnTheBranchWhileTheAgentWorkedDoesNotStopTheLanding() async throws {
        try await withTemporaryDirectory { root in
            let harness = try await PipelineHarness.make(in: root, files: ["a.py": Self.file, "notes.txt": "one\n"])
            let fixture = harness.fixture
            let agent = FakeAgent { request in
                try fixture.write(["notes.txt": "two\n"])
                try await fixture.commitAll("their edit")
                try FakeAgent.rewrite(request) { $0.removingMarkers(["E1"]) }
                return AgentOutcome(status: .completed)
            }
            let run = try await harness.run(harness.pipeline([agent]))

            let outcome = try #require(run.outcome("a.py"))
            #expect(outcome.status == .fixed)
            let subjects = try await harness.subjects()
            #expect(subjects.count == 3 && subjects[0].hasPrefix("fix(fake): a.py") && subjects[1] == "their edit")
            #expect(try await harness.committed("a.py") == "a = 1\n")
            #expect(try await harness.committed("notes.txt") == "two\n")
        }
    }
}
