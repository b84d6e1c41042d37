import Foundation
@testable import StomperCore
import StomperGit
import StomperTestSupport
import Testing

/// The bisection of `verify.test_scope = "final"`, against a model suite that fails while any
/// breaking fix is applied and not reverted.
@Suite(.tags(.unit)) struct FinalTestsBisectTests {
    static func id(_ index: Int) -> ObjectID { ObjectID(hex: String(format: "%040x", index + 1))! }

    /// Runs the bisection over `count` fixes (index i is commit i + 1; the tip is after the last)
    /// where `breaking` break the suite; `afterTheRun` adds a failure that only the tip has.
    static func bisect(
        _ count: Int, breaking: Set<Int>, afterTheRun: Bool = false, lastAtTip: Bool = false
    ) async throws -> (culprits: [Int], passes: Bool, runs: Int) {
        let fixes = (0..<count).map { CommitPaths(commit: id($0), parent: id($0 - 1), subject: "fix \($0)", paths: ["f\($0).py"]) }
        let tip = lastAtTip ? fixes[count - 1].commit : id(1000)
        let runs = Counter()
        let found = try await FinalTests.bisect(fixes, tip: tip, lastAtTip: lastAtTip) { commit, reverted in
            runs.value += 1
            let applied = commit == tip ? count - 1 : fixes.firstIndex { $0.commit == commit }!
            let undone = Set(reverted.map { fix in fixes.firstIndex { $0.commit == fix.commit }! })
            let broken = breaking.contains { $0 <= applied && !undone.contains($0) } || (commit == tip && afterTheRun)
            return TestCommand.Result(passed: !broken, output: "", seconds: 0, summary: "")
        }
        return (found.culprits.map { fix in fixes.firstIndex { $0.commit == fix.commit }! }, found.passes, runs.value)
    }

    final class Counter: @unchecked Sendable { var value = 0 }

    @Test func oneCulpritIsFoundInAboutLog2Runs() async throws {
        for culprit in [0, 3, 15, 31] {
            let found = try await Self.bisect(32, breaking: [culprit])
            #expect(found.culprits == [culprit] && found.passes)
            // The last fix, 5 halvings, the tip with the culprit reverted.
            #expect(found.runs <= 7, "\(culprit): \(found.runs)")
        }
    }

    @Test func everyCulpritIsFoundOldestFirstAndTheOthersStay() async throws {
        let found = try await Self.bisect(20, breaking: [2, 7, 19])
        #expect(found.culprits == [2, 7, 19] && found.passes)
    }

    /// The tip fails for a reason after the run's fixes (a commit landed later): no fix is blamed.
    @Test func aFailureAfterTheRunsFixesBlamesNoFix() async throws {
        let found = try await Self.bisect(10, breaking: [], afterTheRun: true)
        #expect(found.culprits.isEmpty && !found.passes)
        let both = try await Self.bisect(10, breaking: [4], afterTheRun: true)
        #expect(both.culprits == [4] && !both.passes)
    }
    /// When the last fix is the tip, its state is never tested twice: 32 fixes with culprits 5 and
    /// 20 take 5 halvings + the tip for each, and nothing more.
    @Test func theTipIsNotTestedAgainAsTheLastFix() async throws {
        let found = try await Self.bisect(32, breaking: [5, 20], lastAtTip: true)
        #expect(found.culprits == [5, 20] && found.passes)
        #expect(found.runs <= 2 * 5 + 2, "\(found.runs)")
        let apart = try await Self.bisect(32, breaking: [5, 20], lastAtTip: false)
        #expect(apart.culprits == [5, 20] && apart.runs == found.runs + 2, "\(apart.runs) vs \(found.runs)")
    }
}
