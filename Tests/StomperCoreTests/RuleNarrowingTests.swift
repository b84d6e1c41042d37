import StomperCore
import StomperQuality
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct RuleNarrowingTests {
    func d(_ code: String, _ line: Int, endLine: Int? = nil, endColumn: Int? = nil) -> Diagnostic {
        Diagnostic(
            tool: "ruff", path: "a.py", line: line, column: 1, endLine: endLine, endColumn: endColumn, code: code,
            message: code, fixable: true)
    }

    func lines(_ text: String) -> [Substring] { RuleNarrowing.lines(Array(text.utf8)) }

    /// An E501 introduced on the line W605's fix rewrote blames W605 only, not the import block
    /// (I001 ends at column 1 of line 3, so it covers lines 1–2) nor RUF021 elsewhere.
    @Test func anIntroducedDiagnosticBlamesTheRulesWhoseLinesItChanged() {
        var narrowing = RuleNarrowing()
        let targets = [d("I001", 1, endLine: 3, endColumn: 1), d("F401", 1), d("W605", 3), d("RUF021", 7)]
        let before = lines("import os\nimport re\nP = re.compile(\"\\d\")\n\n\ndef f(a, b, c):\n    return a and b or c\n")
        let after = lines("import re\n\nP = re.compile(r\"\\d\")\n\n\ndef f(a, b, c):\n    return (a and b) or c\n")
        let step = narrowing.next(
            targets: targets, fixedRules: Set(targets.map(RuleNarrowing.rule)), before: before, after: after,
            introduced: [d("E501", 3)], reason: "introduced E501")
        #expect(step == .retry(without: ["ruff\u{1f}W605"]))
        #expect(narrowing.dropped == ["ruff\u{1f}W605": "its fix introduced E501"])
        #expect(narrowing.remainingTargets(targets).map(\.code) == ["I001", "F401", "RUF021"])
        #expect(narrowing.droppedTargets(targets).map(\.code) == ["W605"])
    }

    /// A failure with no position (the tests) leaves each fixed rule out alone in turn; the first
    /// run that verifies stops the search (the pipeline accepts it), so the culprit is the only
    /// rule left out. With no single culprit, the rules are added back one at a time: each that
    /// breaks it is left out for good, each that verifies stays.
    @Test func aFailureWithoutPositionsTriesLeavingEachRuleOutAloneThenAddsThemBack() {
        var narrowing = RuleNarrowing()
        let targets = [d("F401", 1), d("RUF021", 5), d("UP006", 7)]
        let rules = Set(targets.map(RuleNarrowing.rule))
        let (f401, ruf021, up006) = ("ruff\u{1f}F401", "ruff\u{1f}RUF021", "ruff\u{1f}UP006")
        let same = lines("x\n")
        func fail() -> RuleNarrowing.Step {
            narrowing.next(targets: targets, fixedRules: rules, before: same, after: same, introduced: [], reason: "broke the tests")
        }
        let step1 = fail()
        #expect(step1 == .retry(without: [f401]))
        #expect(narrowing.remainingTargets(targets).map(\.code) == ["RUF021", "UP006"])
        let step2 = fail()
        #expect(step2 == .retry(without: [ruf021]))
        // F401 is back in play while RUF021 is left out.
        #expect(narrowing.remainingTargets(targets).map(\.code) == ["F401", "UP006"])
        let step3 = fail()
        #expect(step3 == .retry(without: [up006]))
        // No single rule explains it (two culprits): F401 alone first.
        let step4 = fail()
        #expect(step4 == .retry(without: [ruf021, up006]))
        #expect(narrowing.remainingTargets(targets).map(\.code) == ["F401"])
        // F401 alone breaks the tests: out for good; RUF021 next.
        let step5 = fail()
        #expect(step5 == .retry(without: [f401, up006]))
        #expect(narrowing.dropped[f401] == "its fix broke the tests (found adding the rules back one at a time)")
        // RUF021 verifies (kept by the pipeline): UP006 next, on top of it.
        let advanced = narrowing.advanceAfterSuccess()
        #expect(advanced)
        #expect(narrowing.dropped.keys.sorted() == [f401])
        #expect(narrowing.remainingTargets(targets).map(\.code) == ["RUF021", "UP006"])
        // UP006 breaks it: out; nothing is left to add.
        let step6 = fail()
        #expect(step6 == .retry(without: [f401, up006]))
        let more = narrowing.advanceAfterSuccess()
        #expect(!more)
        #expect(narrowing.dropped.keys.sorted() == [f401, up006])
    }

    /// A single fixed rule is blamed at once.
    @Test func aSingleCandidateIsBlamedAtOnce() {
        var narrowing = RuleNarrowing()
        let targets = [d("F401", 1)]
        let step = narrowing.next(
            targets: targets, fixedRules: ["ruff\u{1f}F401"], before: lines("a\n"), after: lines("b\n"),
            introduced: [], reason: "broke the tests")
        // Its only rule left out, nothing is left to try.
        #expect(step == .exhausted)
        #expect(narrowing.dropped == ["ruff\u{1f}F401": "its fix broke the tests"])
    }

    /// A job's file read from a CRLF worktree and its patch's LF blob are the same lines.
    @Test func linesAreTheSameWhateverTheLineEndings() {
        let lf = Array("a = 1\nb = 2\n".utf8)
        let crlf = Array("a = 1\r\nb = 2\r\n".utf8)
        #expect(RuleNarrowing.lines(crlf) == RuleNarrowing.lines(lf))
        #expect(RuleNarrowing.lines(crlf) == ["a = 1", "b = 2", ""])
    }

    @Test func changedRegionsPairTheLinesThatDiffer() {
        let regions = RuleNarrowing.changedRegions(before: lines("a\nb\nc\nd\n"), after: lines("a\nB\nc\nx\nd\n"))
        #expect(regions == [RuleNarrowing.Region(before: 1..<2, after: 1..<2), RuleNarrowing.Region(before: 3..<3, after: 3..<4)])
    }
}

@Suite(.tags(.unit)) struct DiagnosticDeltaSideEffectTests {
    func d(_ code: String, _ line: Int, fixable: Bool = true) -> Diagnostic {
        Diagnostic(tool: "ruff", path: "a.py", line: line, column: 1, code: code, message: code, fixable: fixable)
    }

    /// An untargeted diagnostic that goes with a fix (UP035 with its `typing` import) is counted
    /// as also fixed, not as fixed by the targets.
    @Test func untargetedDiagnosticsThatGoAreAlsoFixed() {
        let delta = DiagnosticDelta(targets: [d("UP006", 5)], baseline: [d("UP006", 5), d("UP035", 1, fixable: false)], after: [])
        #expect(delta.fixed == ["UP006": 1])
        #expect(delta.alsoFixed == ["UP035": 1])
        #expect(delta.allFixed == ["UP006": 1, "UP035": 1])
        #expect(delta.isComplete)
    }

    /// One code, one fixable finding targeted and one unfixable not: when only the unfixable one
    /// is left, the target is fixed and the other is untargeted, not remaining.
    @Test func aCodeWithFixableAndUnfixableFindingsCountsTheFixableOneFixed() {
        let delta = DiagnosticDelta(
            targets: [d("F401", 1)], baseline: [d("F401", 1), d("F401", 2, fixable: false)],
            after: [d("F401", 1, fixable: false)])
        #expect(delta.fixed == ["F401": 1])
        #expect(delta.remaining.isEmpty)
        #expect(delta.untargeted == [d("F401", 1, fixable: false)])
        #expect(delta.alsoFixed.isEmpty)
        #expect(delta.isComplete)
    }
}
