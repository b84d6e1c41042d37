import Foundation
import StomperCoordination
import StomperGit
public import StomperLedger

/// What `verify.test_scope = "final"` found after a run: the suite once at the branch's tip and,
/// if it failed there but passed before the run, the fixes that broke it, found by bisecting the
/// run's commits and reverted.
public struct FinalTestsReport: Sendable, Hashable, Codable {
    public enum Verdict: String, Sendable, Hashable, Codable {
        /// The suite passes at the tip: every fix stays.
        case passed
        /// The suite failed at the tip; the fixes that broke it were reverted and it passes now.
        case reverted
        /// The suite failed before the run too: nothing was reverted (the run is not the cause).
        case failedBeforeTheRun = "failed_before_the_run"
        /// The suite still fails at the tip, not because of the run's fixes (commits landed after
        /// them, or fixes that could not be reverted); the culprits found were reverted.
        case stillFailing = "still_failing"
    }

    /// A fix that broke the suite.
    public struct Culprit: Sendable, Hashable, Codable {
        public var path: String
        /// The run's commit of the fix.
        public var fix: String
        /// The commit that reverted it; nil when it could not be (see `reason`).
        public var revert: String?
        public var reason: String?
    }

    public var verdict: Verdict
    public var culprits: [Culprit]
    /// How many times the suite ran (the tip, before the run, and each bisection step).
    public var suiteRuns: Int
    public var seconds: Double
    /// The end of the suite's output where it first failed at the tip (secrets removed); empty
    /// when it passed.
    public var output: String

    /// One line for the terminal.
    public var summary: String {
        let reverted = culprits.filter { $0.revert != nil }
        let kept = culprits.filter { $0.revert == nil }
        let runs = "\(suiteRuns) suite run\(suiteRuns == 1 ? "" : "s"), \(String(format: "%.1f", seconds))s"
        switch verdict {
        case .passed:
            return "final tests passed at the tip (\(runs))"
        case .failedBeforeTheRun:
            return "final tests fail before the run's fixes too: nothing reverted (\(runs))"
        case .reverted, .stillFailing:
            var text =
                "final tests: reverted \(reverted.count) fix\(reverted.count == 1 ? "" : "es") that broke them ("
                + reverted.map(\.path).joined(separator: ", ") + ")"
            if !kept.isEmpty {
                text += "; could not revert " + kept.map { "\($0.path) (\($0.reason ?? "unknown"))" }.joined(separator: ", ")
            }
            if verdict == .stillFailing { text += "; the suite still fails at the tip" }
            return text + " (\(runs))"
        }
    }
}

/// `verify.test_scope = "final"`: the test suite runs once after the run's last landing instead of
/// after every fix. A suite that passed before the run and fails after it is bisected over the
/// run's commits (oldest first, the branch's first-parent line), each state tested in a worktree
/// of its own; the first failing fix is a culprit, and the search goes on past it with it
/// reverted in the worktree, until the tip with every culprit reverted passes. Then each culprit
/// is reverted on the branch by a commit of its own, under its file's lease, with its fix dropped
/// from the cache so a later run asks again. Cost: 1 run when nothing broke; otherwise 2, plus
/// about log2(fixes) + 1 per culprit — against one run per fix with `file`.
///
/// A run resumed after this step reverted some fixes finds them in its `tests.reverted` events
/// and does not test or revert them again; a culprit that could not be reverted stays a fix of the
/// run, so it is found again rather than an innocent fix after it blamed.
public enum FinalTests {
    public static func afterRun(_ pipeline: Pipeline, plan: FixPlan, ledger: Ledger, dryRun: Bool) async throws -> FinalTestsReport? {
        guard !dryRun, let tests = pipeline.tests, tests.scope == .final, let target = plan.landingTarget else { return nil }
        let repository = pipeline.repository
        // A resumed run's plan starts at the tip it found; its fixes start at the run's own base.
        let base = try await ledger.run(plan.runID).flatMap { ObjectID(hex: $0.baseCommit) } ?? plan.base
        guard let tip = try repository.branchTip(plan.branch), tip != base else { return nil }
        let receipts = try await ledger.receipts(runID: plan.runID)
        let alreadyReverted = Set(
            try await ledger.events(runID: plan.runID, type: "tests.reverted").compactMap { event in
                (try? JSONDecoder().decode(FinalTestsReport.Culprit.self, from: Data(event.data.utf8))).flatMap { culprit in
                    culprit.revert == nil ? nil : culprit.fix
                }
            })
        let receiptOf = Dictionary(receipts.map { ($0.commit, $0) }, uniquingKeysWith: { first, _ in first })
        let fixes = try repository.commits(after: base, upTo: tip).filter {
            receiptOf[$0.commit.hex] != nil && !alreadyReverted.contains($0.commit.hex)
        }
        guard !fixes.isEmpty else { return nil }

        let start = ContinuousClock.now
        let pool = WorktreePool(repository: repository, capacity: 1, keep: false)
        var runs = 0
        func suite(at commit: ObjectID, reverting culprits: [CommitPaths]) async throws -> TestCommand.Result {
            runs += 1
            return try await pool.withWorktree(at: commit) { worktree in
                let changes = try culprits.flatMap { try Self.revert($0, at: commit, repository: repository) }
                if !changes.isEmpty { try worktree.apply(Patch(base: commit, changes: changes)) }
                return await tests.runSuite(in: worktree.path)
            }
        }
        var report = FinalTestsReport(verdict: .passed, culprits: [], suiteRuns: 0, seconds: 0, output: "")
        do {
            let atTip = try await suite(at: tip, reverting: [])
            if !atTip.passed {
                report.output = atTip.output
                if try await !suite(at: base, reverting: []).passed {
                    report.verdict = .failedBeforeTheRun
                } else {
                    let found = try await bisect(fixes, tip: tip, lastAtTip: fixes.last?.commit == tip, suite: suite)
                    report.verdict = found.passes ? .reverted : .stillFailing
                    report.culprits = try await revertOnBranch(
                        found.culprits, pipeline: pipeline, plan: plan, target: target, ledger: ledger, receipts: receiptOf)
                    if report.culprits.contains(where: { $0.revert == nil }) { report.verdict = .stillFailing }
                }
            }
        } catch {
            await pool.close()
            throw error
        }
        await pool.close()
        report.suiteRuns = runs
        report.seconds = (ContinuousClock.now - start).seconds
        try await record(report, runID: plan.runID, ledger: ledger)
        return report
    }

    /// The culprits among `fixes` (oldest first) and whether the tip passes with them reverted.
    /// Before the first fix the suite passes (checked by the caller).
    static func bisect(
        _ fixes: [CommitPaths], tip: ObjectID, lastAtTip: Bool,
        suite: (ObjectID, [CommitPaths]) async throws -> TestCommand.Result
    ) async throws -> (culprits: [CommitPaths], passes: Bool) {
        var culprits: [CommitPaths] = []
        var passing = -1
        while passing < fixes.count - 1 {
            var failing = fixes.count - 1
            // Whether the last fix (with the culprits found undone) still fails. When it is the tip,
            // that state was just tested: the tip failed, at first or with the culprits so far.
            if !lastAtTip, try await suite(fixes[failing].commit, culprits).passed {
                break
            }
            while failing - passing > 1 {
                let middle = (passing + failing) / 2
                if try await suite(fixes[middle].commit, culprits).passed { passing = middle } else { failing = middle }
            }
            culprits.append(fixes[failing])
            passing = failing
            if try await suite(tip, culprits).passed { return (culprits, true) }
        }
        return (culprits, false)
    }

    /// The changes that undo `fix` in the tree of `commit` (which contains it): each path the fix
    /// changed gets its content from before the fix.
    static func revert(_ fix: CommitPaths, at commit: ObjectID, repository: GitRepository) throws -> [PathChange] {
        try fix.paths.compactMap { path in
            let now = try repository.entry(at: path, in: commit)
            let before = try repository.entry(at: path, in: fix.parent)
            guard now?.id != before?.id || now?.mode != before?.mode else { return nil }
            let content = try before.map { PathChange.Content(bytes: try repository.blob($0.id), mode: $0.mode, id: $0.id) }
            return PathChange(path: path, old: now, new: content)
        }
    }

    /// Reverts each culprit on the branch, one commit each, under the leases of its paths. A file
    /// changed on the branch since the fix (or with uncommitted changes) is left as it is, with
    /// the reason.
    static func revertOnBranch(
        _ culprits: [CommitPaths], pipeline: Pipeline, plan: FixPlan, target: LandingTarget, ledger: Ledger,
        receipts: [String: ReceiptRecord]
    ) async throws -> [FinalTestsReport.Culprit] {
        let repository = pipeline.repository
        // The run's own target: a ref-only run's branch exists (it holds the fixes), so its start
        // point is never used; a branch deleted meanwhile refuses the revert (`baseChanged`).
        let writer = BranchWriter(repository: repository, target: target)
        var results: [FinalTestsReport.Culprit] = []
        for culprit in culprits {
            let path = receipts[culprit.commit.hex]?.path ?? culprit.paths.first ?? ""
            var result = FinalTestsReport.Culprit(path: path, fix: culprit.commit.hex, revert: nil, reason: nil)
            let changes = try revert(culprit, at: culprit.commit, repository: repository)
            let message = """
                stomper: revert the fix of \(path): it broke the tests

                The run's final test suite passed before this fix and failed after it.

                Stomper-Reverts: \(culprit.commit.hex)
                Stomper-Run: \(plan.runID)
                """
            do {
                let commit = try await pipeline.resourceGuard.withResources(
                    culprit.paths.map(ResourceDescriptor.file), mode: pipeline.configuration.operationMode
                ) { grant in
                    try await writer.land(
                        Patch(base: culprit.commit, changes: changes), message: message, author: nil,
                        durable: target.writesCheckout, fence: { try grant.checkWrite() })
                }
                result.revert = commit.hex
                if let key = receipts[culprit.commit.hex]?.key { try await ledger.forgetFix(key: key) }
            } catch let error as GitError where error.code == .baseChanged || error.code == .uncommittedChanges {
                result.reason =
                    error.code == .baseChanged
                    ? "\(path) changed on the branch since; revert it by hand: git revert \(culprit.commit.short)"
                    : "\(path) has uncommitted changes; revert it by hand: git revert \(culprit.commit.short)"
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                // HEAD left the branch, a newer lease holder, a failed write: the culprit is still
                // named, with what stopped its revert.
                result.reason = "\(error); revert it by hand: git revert \(culprit.commit.short)"
            }
            try await ledger.append(event("tests.reverted", runID: plan.runID, job: path, level: .warning, result))
            results.append(result)
        }
        return results
    }

    static func record(_ report: FinalTestsReport, runID: String, ledger: Ledger) async throws {
        try await ledger.append(event("tests.final", runID: runID, job: nil, level: report.verdict == .passed ? .info : .warning, report))
    }

    static func event(_ type: String, runID: String, job: String?, level: EventRecord.Level, _ value: some Encodable) throws -> EventRecord {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return EventRecord(
            level: level, runID: runID, job: job, type: type, step: "tests", data: String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}
