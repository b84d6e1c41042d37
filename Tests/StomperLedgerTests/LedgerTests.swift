import Dispatch
import Foundation
@testable import StomperLedger
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct JobStateMachineTests {
    @Test func allowsTheDocumentedPath() {
        #expect(JobState.planned.canTransition(to: .running(attempt: 1)))
        #expect(JobState.running(attempt: 1).canTransition(to: .running(attempt: 2)))
        #expect(JobState.running(attempt: 2).canTransition(to: .verified))
        #expect(JobState.verified.canTransition(to: .landed(commit: "c")))
        #expect(JobState.running(attempt: 1).canTransition(to: .planned))
        #expect(JobState.planned.canTransition(to: .landed(commit: "c")))
    }

    @Test func rejectsIllegalTransitions() {
        #expect(!JobState.planned.canTransition(to: .running(attempt: 2)))
        #expect(!JobState.running(attempt: 1).canTransition(to: .running(attempt: 3)))
        #expect(!JobState.planned.canTransition(to: .verified))
        for terminal in [JobState.landed(commit: "c"), .failed(reason: "r"), .skipped(reason: "r")] {
            for next in [JobState.planned, .running(attempt: 1), .verified, .landed(commit: "d"), .failed(reason: "x")] {
                #expect(!terminal.canTransition(to: next), "\(terminal) → \(next)")
            }
        }
    }
}

@Suite(.tags(.unit), .timeLimit(.minutes(5))) struct LedgerTests {
    func makeRun(_ id: String = "run-20261122-000000-00000001") -> RunRecord {
        RunRecord(
            id: id, status: .running, branch: "main", baseCommit: String(repeating: "a", count: 40), configHash: "h",
            configJSON: "{}", toolVersions: "{\"ruff\":\"ruff 0.17.6\"}", agent: "{}", snapshotID: "snap-000000000000",
            dryRun: false, pid: getpid(), host: "test", createdAt: Timestamp.now(), updatedAt: Timestamp.now())
    }

    func job(_ path: String, runID: String = "run-20261122-000000-00000001") -> JobRecord {
        JobRecord(runID: runID, path: path, key: "ik:" + path, baseBlob: "b", diagnostics: "[]", state: .planned, updatedAt: Timestamp.now())
    }

    @Test func migratesAnEmptyDatabaseWithPrivatePermissions() async throws {
        try await withTemporaryDirectory { dir in
            let ledger = try Ledger.open(commonDir: dir)
            #expect(
                try await ledger.appliedMigrations() == [
                    "v1: runs, jobs, events, receipts, fix cache", "v2: leases and fencing tokens",
                    "v3: learning from verified attempts",
                    "v4: where a run lands (the checkout, or only a branch ref)",
                ])
            try await ledger.createRun(makeRun(), manifest: "{}", jobs: [job("a.py")])
            let folder = try FileManager.default.attributesOfItem(atPath: dir + "/stomper")[.posixPermissions] as? Int
            #expect(folder == 0o700)
            for file in ["state.sqlite", "state.sqlite-wal", "state.sqlite-shm"] {
                let mode = try FileManager.default.attributesOfItem(atPath: dir + "/stomper/" + file)[.posixPermissions] as? Int
                #expect(mode == 0o600, "\(file)")
            }
            // Opening again does not migrate twice and keeps the data.
            let again = try Ledger.open(commonDir: dir)
            #expect(try await again.appliedMigrations().count == 4)
            #expect(try await again.jobs(runID: makeRun().id).map(\.path) == ["a.py"])
        }
    }

    @Test func aRunRemembersWhereItLands() async throws {
        try await withTemporaryDirectory { dir in
            let ledger = try Ledger.open(commonDir: dir)
            try await ledger.createRun(makeRun(), manifest: "{}", jobs: [])
            var branchOnly = makeRun("run-20261122-000000-00000002")
            branchOnly.landing = .branch
            try await ledger.createRun(branchOnly, manifest: "{}", jobs: [])
            #expect(try await ledger.run(makeRun().id)?.landing == .checkout)
            #expect(try await ledger.run(branchOnly.id)?.landing == .branch)
        }
    }

    @Test func transitionsAreCheckedAndIllegalOnesLeaveTheJobAlone() async throws {
        try await withTemporaryDirectory { dir in
            let ledger = try Ledger.open(commonDir: dir)
            let run = makeRun()
            try await ledger.createRun(run, manifest: "{}", jobs: [job("a.py")])
            try await ledger.transition(runID: run.id, path: "a.py", to: .running(attempt: 1))
            await #expect {
                try await ledger.transition(runID: run.id, path: "a.py", to: .running(attempt: 3))
            } throws: { ($0 as? LedgerError)?.code == .illegalTransition }
            try await ledger.transition(runID: run.id, path: "a.py", to: .verified)
            try await ledger.transition(runID: run.id, path: "a.py", to: .landed(commit: "c1"), outcome: "{\"x\":1}")
            let stored = try #require(try await ledger.job(runID: run.id, path: "a.py"))
            #expect(stored.state == .landed(commit: "c1"))
            #expect(stored.outcome == "{\"x\":1}")
            await #expect(throws: LedgerError.self) {
                try await ledger.transition(runID: run.id, path: "a.py", to: .planned)
            }
            #expect(try await ledger.job(runID: run.id, path: "a.py")?.state == .landed(commit: "c1"))
        }
    }

    @Test func recordsALandingAtomically() async throws {
        try await withTemporaryDirectory { dir in
            let ledger = try Ledger.open(commonDir: dir)
            let run = makeRun()
            try await ledger.createRun(run, manifest: "{}", jobs: [job("a.py")])
            let receipt = ReceiptRecord(
                runID: run.id, path: "a.py", key: "ik:a.py", commit: "c", patchSHA256: "p",
                diagnosticsFixed: "{}", agentCalls: 1, agentSeconds: 0.1, totalSeconds: 0.2, cacheHit: false)
            let event = EventRecord(runID: run.id, job: "a.py", type: "land.finished", step: "land")
            // planned → landed is allowed (reconciliation), but a second landing is not: nothing of it is kept.
            try await ledger.recordLanding(
                runID: run.id, path: "a.py", state: .landed(commit: "c"), outcome: "{}",
                receipt: receipt, event: event)
            var second = receipt
            second.commit = "other"
            await #expect(throws: LedgerError.self) {
                try await ledger.recordLanding(
                    runID: run.id, path: "a.py", state: .landed(commit: "other"), outcome: "{}",
                    receipt: second, event: event)
            }
            #expect(try await ledger.receipts(runID: run.id).map(\.commit) == ["c"])
            #expect(try await ledger.events(runID: run.id).count == 1)
        }
    }

    @Test func eventsAreAppendedInOrderAndFilteredByLevelAndRun() async throws {
        try await withTemporaryDirectory { dir in
            let ledger = try Ledger.open(commonDir: dir)
            try await ledger.append(EventRecord(level: .debug, runID: "r1", type: "a", step: "s"))
            try await ledger.append(EventRecord(level: .warning, runID: "r1", type: "b", step: "s"))
            try await ledger.append(EventRecord(level: .error, runID: "r2", type: "c", step: "s"))
            let all = try await ledger.events()
            #expect(all.map(\.type) == ["a", "b", "c"])
            #expect(all.map { $0.sequence! } == all.map { $0.sequence! }.sorted())
            #expect(try await ledger.events(minimumLevel: .warning).map(\.type) == ["b", "c"])
            #expect(try await ledger.events(runID: "r1").map(\.type) == ["a", "b"])
            #expect(try await ledger.events(after: all[1].sequence!).map(\.type) == ["c"])
        }
    }

    @Test func theFixCacheKeepsTheFirstPatchPerKey() async throws {
        try await withTemporaryDirectory { dir in
            let ledger = try Ledger.open(commonDir: dir)
            #expect(try await ledger.cachedFix(key: "ik:1") == nil)
            try await ledger.storeFix(key: "ik:1", path: "a.py", patch: "first", patchSHA256: "s1")
            try await ledger.storeFix(key: "ik:1", path: "a.py", patch: "second", patchSHA256: "s2")
            try await ledger.recordCacheHit(key: "ik:1")
            let cached = try #require(try await ledger.cachedFix(key: "ik:1"))
            #expect(cached.patch == "first" && cached.hits == 1)
            try await ledger.forgetFix(key: "ik:1")
            #expect(try await ledger.cachedFix(key: "ik:1") == nil)
        }
    }

    @Test func unfinishedRunsAreFoundNewestFirst() async throws {
        try await withTemporaryDirectory { dir in
            let ledger = try Ledger.open(commonDir: dir)
            var old = makeRun("run-20261122-000000-00000001")
            old.createdAt = "2026-11-22T00:00:00.000Z"
            var new = makeRun("run-20261122-000001-00000002")
            new.createdAt = "2026-11-22T00:00:01.000Z"
            try await ledger.createRun(old, manifest: "{}", jobs: [])
            try await ledger.createRun(new, manifest: "{}", jobs: [])
            #expect(try await ledger.latestUnfinishedRun()?.id == new.id)
            try await ledger.setRunStatus(new.id, .completed)
            #expect(try await ledger.latestUnfinishedRun()?.id == old.id)
            #expect(try await ledger.run(new.id)?.finishedAt != nil)
            try await ledger.setRunStatus(old.id, .interrupted)
            #expect(try await ledger.latestUnfinishedRun()?.status == .interrupted)
        }
    }

    /// A writer from another connection holding the database longer than the maximum wait gives
    /// `busy`, not a hang, and the transaction that could not start changes nothing.
    @Test func aBusyDatabaseIsReportedAfterTheMaximumWait() async throws {
        try await withTemporaryDirectory { dir in
            let holder = try Ledger.open(commonDir: dir)
            let waiter = try Ledger.open(commonDir: dir, maxWait: .milliseconds(200))
            let (locked, lockedContinuation) = AsyncStream.makeStream(of: Void.self)
            let release = DispatchSemaphore(value: 0)
            async let held: Void = holder.write { _ in
                lockedContinuation.yield()
                release.wait()
            }
            for await _ in locked { break }
            await #expect {
                try await waiter.append(EventRecord(runID: "r", type: "t", step: "s"))
            } throws: { ($0 as? LedgerError)?.code == .busy }
            release.signal()
            try await held
            #expect(try await waiter.events().isEmpty)
        }
    }
}

@Suite(.tags(.unit)) struct TimestampTests {
    /// The hand-made timestamp is what Foundation's ISO-8601 formatter writes (UTC, milliseconds).
    @Test func timestampsAreISO8601WithMillisecondsInUTC() {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for seconds in [0.0, 1.5, 951_782_400.001, 1_795_000_000.999, 1_795_392_000.25, 4_102_444_799.5] {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(Timestamp.string(date) == formatter.string(from: date), "\(seconds)")
        }
        #expect(Timestamp.string(Date(timeIntervalSince1970: 1_795_305_600.123)) == "2026-11-22T00:00:00.123Z")
    }
}
