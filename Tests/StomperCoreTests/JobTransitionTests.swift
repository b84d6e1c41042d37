import Foundation
import StomperAgents
@testable import StomperCore
import StomperGit
import StomperLedger
import StomperTestSupport
import Testing

/// `RunRecorder.transition(_:_:from:)`, the one function through which a job's state changes:
/// each kind of step moves the stored state once, with its own event after the job's buffered
/// ones; a step the job state machine forbids is refused before anything is written.
@Suite(.tags(.unit)) struct JobTransitionTests {
    static let files = [
        "a.py": "a = 1  # ERR:E1\n", "b.py": "b = 1  # ERR:E1\n", "c.py": "c = 1  # ERR:E1\n",
        "d.py": "d = 1  # ERR:E1\n",
    ]

    /// A run recorded in the ledger with a planned job per file, as `stomper fix` begins one.
    private func begun(_ root: String) async throws -> (PipelineHarness, FixPlan, RunRecorder) {
        let harness = try await PipelineHarness.make(in: root, files: Self.files)
        let pipeline = harness.pipeline([FakeAgent { $0.removingMarkers(["E1"]) }])
        let plan = try await pipeline.plan(paths: [])
        let recorder = try await pipeline.begin(plan, dryRun: false, ledger: harness.ledger)
        return (harness, plan, recorder)
    }

    private func events(_ harness: PipelineHarness, _ plan: FixPlan, _ path: String) async throws -> [String] {
        try await harness.ledger.events(runID: plan.runID).filter { $0.job == path }.map(\.type)
    }

    private func state(_ harness: PipelineHarness, _ plan: FixPlan, _ path: String) async throws -> JobState? {
        try await harness.ledger.job(runID: plan.runID, path: path)?.state
    }

    @Test func everyStepMovesTheStoredStateOnceWithItsEvent() async throws {
        try await withTemporaryDirectory { root in
            let (harness, plan, recorder) = try await begun(root)
            #expect(plan.jobs.map(\.path) == ["a.py", "b.py", "c.py", "d.py"])

            // A job through the whole run: started, retried, verified, landed.
            var now: JobState = .planned
            let steps: [(JobTransition, JobState, [String])] = [
                (.started, .running(attempt: 1), []),
                (.retried(attempt: 2), .running(attempt: 2), []),
                (.verified, .verified, []),
                (
                    .landed(
                        .init(
                            commit: "c0ffee", key: "ik:a",
                            outcome: FileOutcome(path: "a.py", status: .fixed, fixed: ["E1": 1]),
                            receipt: ReceiptRecord(
                                runID: plan.runID, path: "a.py", key: "ik:a", commit: "c0ffee",
                                patchSHA256: "00", diagnosticsFixed: "{}", agentCalls: 1, agentSeconds: 0,
                                totalSeconds: 0, cacheHit: false))),
                    .landed(commit: "c0ffee"), ["land.finished"]
                ),
                // Its end once landed: the event only, the state stays.
                (.finished(FileOutcome(path: "a.py", status: .fixed), interrupted: false), .landed(commit: "c0ffee"), ["job.finished"]),
            ]
            for (change, expected, types) in steps {
                let before = try await events(harness, plan, "a.py")
                now = try await recorder.transition("a.py", change, from: now)
                #expect(now == expected)
                #expect(try await state(harness, plan, "a.py") == expected)
                #expect(Array(try await events(harness, plan, "a.py").dropFirst(before.count)) == types, "\(change)")
            }
            #expect(try await harness.ledger.receipts(runID: plan.runID).map(\.path) == ["a.py"])
            let stored = try await harness.ledger.job(runID: plan.runID, path: "a.py")?.outcome
            #expect(stored?.contains("\"status\":\"fixed\"") == true)

            // A job that fails: its buffered events go first, in the same call, then `job.finished`.
            try await recorder.transition("b.py", .started, from: .planned)
            try await recorder.event("agent.finished", step: "agent", job: "b.py", ["result": .string("completed")])
            #expect(try await events(harness, plan, "b.py").isEmpty, "an informational event waits for the job's next transaction")
            let failed = FileOutcome(path: "b.py", status: .failed, reason: "1 diagnostic remains (E1)")
            #expect(
                try await recorder.transition("b.py", .finished(failed, interrupted: false), from: .running(attempt: 1))
                    == .failed(reason: "1 diagnostic remains (E1)"))
            #expect(try await events(harness, plan, "b.py") == ["agent.finished", "job.finished"])
            #expect(try await harness.ledger.job(runID: plan.runID, path: "b.py")?.outcome?.contains("\"status\":\"failed\"") == true)

            // Resume's steps: a running job queued again, then dropped; a planned job found landed.
            try await recorder.transition("c.py", .started, from: .planned)
            #expect(try await recorder.transition("c.py", .requeued, from: .running(attempt: 1)) == .planned)
            #expect(
                try await recorder.transition("c.py", .dropped(reason: "uncommitted changes", outcome: nil), from: .planned)
                    == .skipped(reason: "uncommitted changes"))
            #expect(try await events(harness, plan, "c.py") == ["job.requeued"])
            let requeued = try await harness.ledger.events(runID: plan.runID, type: "job.requeued")
            #expect(requeued.first?.data == #"{"was":"running"}"#)
            #expect(
                try await recorder.transition("d.py", .reconciled(commit: "beef", key: "ik:d"), from: .planned)
                    == .landed(commit: "beef"))
            #expect(try await events(harness, plan, "d.py") == ["job.reconciled"])
        }
    }

    @Test func aStepTheStateMachineForbidsIsRefusedBeforeAnythingIsWritten() async throws {
        try await withTemporaryDirectory { root in
            let (harness, plan, recorder) = try await begun(root)
            try await recorder.event("agent.finished", step: "agent", job: "a.py", ["result": .string("completed")])

            for (change, from) in [
                (JobTransition.verified, JobState.planned), (.retried(attempt: 3), .running(attempt: 1)),
                (.started, .landed(commit: "c0ffee")), (.requeued, .failed(reason: "not fixed")),
            ] {
                let error = await #expect(throws: LedgerError.self) { try await recorder.transition("a.py", change, from: from) }
                #expect(error?.code == .illegalTransition)
            }
            #expect(try await state(harness, plan, "a.py") == .planned)
            #expect(try await events(harness, plan, "a.py").isEmpty, "nothing written, the buffered event not lost")

            // The next allowed step writes the event that waited.
            try await recorder.transition("a.py", .started, from: .planned)
            #expect(try await events(harness, plan, "a.py") == ["agent.finished"])

            // The ledger checks again against what it holds: a caller that is wrong about the
            // current state is refused there.
            let error = await #expect(throws: LedgerError.self) { try await recorder.transition("a.py", .started, from: .planned) }
            #expect(error?.code == .illegalTransition)
            #expect(try await state(harness, plan, "a.py") == .running(attempt: 1))
        }
    }

    @Test func aJobsEndLeadsWhereItsOutcomeSays() {
        func next(
            _ status: FileOutcome.Status, deferred: Bool = false, interrupted: Bool = false,
            from current: JobState = .running(attempt: 1)
        ) -> JobState? {
            var outcome = FileOutcome(path: "a.py", status: status, reason: status == .wouldFix ? nil : "why")
            outcome.deferred = deferred
            return JobTransition.finished(outcome, interrupted: interrupted).next(from: current)
        }
        #expect(next(.fixed, from: .landed(commit: "c0ffee")) == nil, "recorded with the landing")
        #expect(next(.partiallyFixed, from: .landed(commit: "c0ffee")) == nil)
        #expect(next(.wouldFix) == .skipped(reason: "dry run: verified fix not committed"))
        #expect(next(.failed) == .failed(reason: "why"))
        #expect(next(.skipped) == .skipped(reason: "why"))
        #expect(next(.needsAgent, from: .planned) == .skipped(reason: "why"))
        // Deferred or interrupted: back to planned for resume, or nothing when it never started.
        #expect(next(.skipped, deferred: true) == .planned)
        #expect(next(.skipped, interrupted: true, from: .verified) == .planned)
        #expect(next(.skipped, deferred: true, from: .planned) == nil)
        #expect(next(.failed, from: .failed(reason: "why")) == nil, "already there: nothing to write")
    }

    @Test func aJobRunFollowsWhatItRecordedAndWithoutALedgerRecordsNothing() async throws {
        try await withTemporaryDirectory { root in
            let (harness, plan, recorder) = try await begun(root)
            let job = try #require(plan.jobs.first)
            let clock = PhaseClock()
            let run = JobRun(job: job, context: context(harness, plan, recorder), clock: clock)
            #expect(run.path == "a.py" && run.state == .planned)
            try await run.transition(.started)
            #expect(run.state == .running(attempt: 1))
            await #expect(throws: LedgerError.self) { try await run.transition(.retried(attempt: 3)) }
            #expect(run.state == .running(attempt: 1), "a refused step leaves the state")
            try await run.transition(.retried(attempt: 2))
            #expect(try await state(harness, plan, "a.py") == .running(attempt: 2))
            #expect(clock.seconds["ledger"] != nil, "the job's ledger calls count in its clock")

            let unrecorded = JobRun(job: job, context: context(harness, plan, nil), clock: PhaseClock())
            try await unrecorded.transition(.verified)
            #expect(unrecorded.state == .planned)
            #expect(try await state(harness, plan, "a.py") == .running(attempt: 2))
        }
    }

    /// A landed job's time in the ledger shows in its outcome's `ledger` phase, through the
    /// recorder its `JobRun` carries.
    @Test func aRunCountsEachJobsLedgerTime() async throws {
        try await withTemporaryDirectory { root in
            let harness = try await PipelineHarness.make(in: root, files: ["a.py": "a = 1  # ERR:E1\n"])
            let run = try await harness.run(harness.pipeline([FakeAgent { $0.removingMarkers(["E1"]) }]))
            let outcome = try #require(run.outcome("a.py"))
            #expect(outcome.status == .fixed)
            #expect(Set(outcome.phases.keys).isSuperset(of: ["worktree", "agent", "verify", "land", "ledger"]))
            let types = try await harness.ledger.events(runID: run.plan.runID).filter { $0.job == "a.py" }.map(\.type)
            #expect(types.filter { $0 == "job.finished" }.count == 1)
            #expect(types.filter { $0 == "land.finished" }.count == 1)
            #expect(try await harness.jobState(run, "a.py") == .landed(commit: try #require(outcome.commit).hex))
        }
    }

    private func context(_ harness: PipelineHarness, _ plan: FixPlan, _ recorder: RunRecorder?) -> RunContext {
        RunContext(
            plan: plan, dryRun: false, pool: WorktreePool(repository: harness.repository, capacity: 1), recorder: recorder,
            useCache: false, writer: BranchWriter(repository: harness.repository, branch: plan.branch), gitDirectory: nil,
            scratch: harness.repository.commonDir + "/stomper/tmp/" + plan.runID, governor: AgentGovernor(),
            backoff: Backoff(base: .zero, cap: .zero), learning: nil)
    }
}
