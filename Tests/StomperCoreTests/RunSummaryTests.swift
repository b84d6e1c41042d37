import Foundation
import StomperCore
import StomperGit
import StomperQuality
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct RunSummaryTests {
    static let outcomes: [FileOutcome] = [
        FileOutcome(
            path: "a.py", status: .fixed, commit: ObjectID(hex: String(repeating: "1", count: 40)), diagnosticsBefore: 3,
            fixed: ["F401": 2, "I001": 1], changed: true, attempts: 1, agentCalls: 1, agentSeconds: 0.1, totalSeconds: 0.3),
        FileOutcome(
            path: "b.py", status: .failed, reason: "1 diagnostic remains (F821)", diagnosticsBefore: 1,
            remaining: [Diagnostic(tool: "ruff", path: "b.py", line: 1, column: 1, code: "F821", message: "x")],
            attempts: 2, agentCalls: 2, agentSeconds: 0.7, totalSeconds: 0.9),
        FileOutcome(path: "c.py", status: .skipped, reason: "uncommitted changes", diagnosticsBefore: 4),
        FileOutcome(
            path: "d.py", status: .fixed, commit: ObjectID(hex: String(repeating: "2", count: 40)), diagnosticsBefore: 1,
            fixed: ["F401": 1], changed: true, attempts: 1, agentCalls: 1, agentSeconds: 0.2, totalSeconds: 0.35),
        FileOutcome(
            path: "e.py", status: .partiallyFixed, reason: "1 diagnostic remains", diagnosticsBefore: 2, fixed: ["E711": 1],
            remaining: [Diagnostic(tool: "ruff", path: "e.py", line: 4, column: 1, code: "E741", message: "l")],
            changed: true, attempts: 1, agentCalls: 1, agentSeconds: 0.3, totalSeconds: 0.5),
    ]

    static func permutations<T>(_ items: [T]) -> [[T]] {
        guard items.count > 1 else { return [items] }
        return items.indices.flatMap { index -> [[T]] in
            var rest = items
            let first = rest.remove(at: index)
            return permutations(rest).map { [first] + $0 }
        }
    }

    /// Every order of the same outcomes (all 120) folds to the same summary and the same JSON.
    @Test func anyOrderGivesTheSameSummary() throws {
        let reference = RunSummary(Self.outcomes)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let referenceJSON = try encoder.encode(reference)
        for order in Self.permutations(Self.outcomes) {
            let summary = RunSummary(order)
            #expect(summary == reference)
            #expect(try encoder.encode(summary) == referenceJSON)
        }
    }

    @Test func mergingPartialSummariesEqualsFoldingEverything() {
        let left = RunSummary(Self.outcomes.prefix(2))
        let right = RunSummary(Self.outcomes.dropFirst(2))
        #expect(left.merging(right) == RunSummary(Self.outcomes))
        #expect(right.merging(left) == RunSummary(Self.outcomes))
    }

    @Test func totalsAreRight() {
        let summary = RunSummary(Self.outcomes)
        #expect(summary.count(.fixed) == 2)
        #expect(summary.count(.failed) == 1)
        #expect(summary.count(.skipped) == 1)
        #expect(summary.count(.partiallyFixed) == 1)
        #expect(summary.fixedByCode == ["F401": 3, "I001": 1, "E711": 1])
        #expect(summary.diagnosticsFixed == 5)
        #expect(summary.diagnosticsRemaining == 1 + 4 + 1)
        #expect(summary.agentCalls == 5)
        #expect(!summary.allFixed)
        #expect(RunSummary(Self.outcomes.filter { $0.status == .fixed }).allFixed)
    }

    @Test func aDuplicateOutcomeForOnePathFoldsDeterministically() {
        let first = FileOutcome(path: "x.py", status: .failed, reason: "a")
        let second = FileOutcome(path: "x.py", status: .failed, reason: "b")
        #expect(RunSummary([first, second]) == RunSummary([second, first]))
        #expect(RunSummary([first, second]).conflicts == ["x.py: kept failed over failed"])
    }

    /// Parallel workers' partial summaries merge (MERGE_META) to the same result in any grouping,
    /// conflicts included, and a file left to another writer does not count as a failure.
    @Test func mergesAreCommutativeAndLogConflicts() {
        let fixed = FileOutcome(path: "a.py", status: .fixed)
        let failed = FileOutcome(path: "a.py", status: .failed, reason: "x")
        var left = FileOutcome(path: "b.py", status: .skipped, reason: "left to another writer")
        left.leftTo = "stomper pid 1"
        let one = RunSummary([fixed, left]), two = RunSummary([failed])
        #expect(one.merging(two) == two.merging(one))
        #expect(one.merging(two).conflicts.count == 1)
        #expect(one.allFixed)
        #expect(one.leftToOthers.map(\.path) == ["b.py"])
    }
}
