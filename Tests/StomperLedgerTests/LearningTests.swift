import Foundation
@testable import StomperLedger
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct LearningTests {
    func attempt(
        _ path: String, _ agent: String, _ outcome: AttemptOutcome, _ codes: [(String, Int, Int)],
        tokens: Int? = nil, cost: Double? = nil, diff: String? = nil
    ) -> AttemptRecord {
        AttemptRecord(
            runID: "run-1", path: path, attempt: 1, agent: agent, outcome: outcome, durationMilliseconds: 100,
            inputTokens: tokens, outputTokens: tokens.map { $0 / 2 }, costUSD: cost, diff: diff,
            codes: codes.map { .init(linter: "ruff", code: $0.0, targeted: $0.1, fixed: $0.2) })
    }

    @Test func figuresCountAnAttemptAsASuccessOnlyWhenEveryTargetedDiagnosticOfTheCodeWentAndItWasAccepted() async throws {
        try await withTemporaryDirectory { dir in
            let ledger = try Ledger.open(commonDir: dir)
            try await ledger.recordAttempt(attempt("a.py", "autofix", .improved, [("F401", 2, 2), ("F821", 1, 0)]))
            try await ledger.recordAttempt(attempt("b.py", "autofix", .fixed, [("F401", 1, 1)]))
            try await ledger.recordAttempt(attempt("a.py", "mock", .fixed, [("F821", 1, 1)], tokens: 100, cost: 0.5, diff: "-x\n+y\n"))
            // Rejected: the code went away (a suppression), but it does not count.
            try await ledger.recordAttempt(attempt("c.py", "mock", .rejected, [("F821", 1, 1)], tokens: 50, cost: 0.25))
            let figures = try await ledger.learningFigures()
            let byKey = Dictionary(uniqueKeysWithValues: figures.map { ("\($0.code) \($0.agent)", $0) })
            #expect(byKey["F401 autofix"]?.attempts == 2 && byKey["F401 autofix"]?.successes == 2)
            #expect(byKey["F821 autofix"]?.attempts == 1 && byKey["F821 autofix"]?.successes == 0)
            #expect(byKey["F821 mock"]?.attempts == 2 && byKey["F821 mock"]?.successes == 1 && byKey["F821 mock"]?.successRate == 0.5)
            let agents = try await ledger.agentFigures()
            let mock = try #require(agents.first { $0.agent == "mock" })
            #expect(mock.attempts == 2 && mock.accepted == 1 && mock.inputTokens == 150 && mock.costUSD == 0.75)
            #expect(agents.first { $0.agent == "autofix" }?.inputTokens == nil)
            let examples = try await ledger.fixExamples(code: "F821", limit: 5)
            #expect(examples.map(\.path) == ["a.py"] && examples.first?.diff == "-x\n+y\n")
            #expect(try await ledger.attempts(runID: "run-1").count == 4)
        }
    }

    @Test func masteredAndDifficultCodesNeedEvidence() {
        func figure(_ code: String, _ agent: String, _ attempts: Int, _ successes: Int) -> LearningFigure {
            LearningFigure(
                linter: "ruff", code: code, agent: agent, attempts: attempts, successes: successes, targeted: attempts,
                fixed: successes, meanMilliseconds: 1)
        }
        let report = LearningReport(figures: [
            figure("F401", "autofix", 10, 10), figure("F821", "autofix", 4, 0), figure("F821", "mock", 4, 1),
            figure("E741", "mock", 1, 0),
        ])
        #expect(report.mastered == ["ruff/F401"])
        #expect(report.difficult == ["ruff/F821"])
        #expect(report.isDifficult(code: "F821") && !report.isDifficult(code: "E741"))
        // One lucky attempt neither hides a reliable agent nor rescues a difficult code.
        let mixed = LearningReport(figures: [
            figure("X1", "lucky", 1, 1), figure("X1", "steady", 20, 19), figure("Y1", "lucky", 1, 1), figure("Y1", "steady", 5, 0),
        ])
        #expect(mixed.mastered == ["ruff/X1"])
        #expect(mixed.difficult == ["ruff/Y1"])
    }

    @Test func aChainIsReorderedOnlyOnMeasuredSuccess() {
        func figure(_ code: String, _ agent: String, _ attempts: Int, _ successes: Int) -> LearningFigure {
            LearningFigure(
                linter: "ruff", code: code, agent: agent, attempts: attempts, successes: successes, targeted: attempts,
                fixed: successes, meanMilliseconds: 1)
        }
        let report = LearningReport(figures: [figure("F821", "autofix", 6, 0), figure("F821", "mock", 3, 3), figure("F401", "autofix", 5, 5)])
        #expect(report.order(["autofix", "mock"], for: ["F821"]) == ["mock", "autofix"])
        #expect(report.order(["autofix", "mock"], for: ["F401"]) == ["autofix", "mock"])
        // An unmeasured agent keeps its place; the measured ones swap only among their own places.
        #expect(report.order(["autofix", "claude", "mock"], for: ["F821"]) == ["mock", "claude", "autofix"])
        #expect(report.order(["autofix", "mock"], for: ["E999"]) == ["autofix", "mock"])
    }
}
