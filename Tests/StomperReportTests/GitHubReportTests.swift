import Foundation
import StomperCore
import StomperQuality
import StomperReport
import Testing

@Suite struct GitHubReportTests {
    @Test func dataAndPropertiesAreEscapedAsTheRunnerUnescapes() {
        #expect(WorkflowCommand.escapeData("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b")
        #expect(WorkflowCommand.escapeProperty("dir,x/a:b%.py\n") == "dir%2Cx/a%3Ab%25.py%0A")
        #expect(WorkflowCommand.make("error", [("file", "a,b.py"), ("title", "ruff: F401")], "50%\nmore")
                == "::error file=a%2Cb.py,title=ruff%3A F401::50%25%0Amore")
    }

    @Test func aFilesDetailLinesAreFoldedInAGroup() {
        #expect(WorkflowCommand.grouped("fixed  src/a.py: 2 fixed\n    src/a.py:1:1: F401 x\n    src/a.py:2:1: E711 y")
                == "::group::fixed  src/a.py: 2 fixed\n    src/a.py:1:1: F401 x\n    src/a.py:2:1: E711 y\n::endgroup::")
        #expect(WorkflowCommand.grouped("skipped  src/a.py: uncommitted changes") == "skipped  src/a.py: uncommitted changes")
        #expect(WorkflowCommand.grouped("50% of a\nb") == "::group::50%25 of a\nb\n::endgroup::")
    }

    /// What is left after the run: landed fixes' leftovers, failed files' planned diagnostics (also
    /// when the outcome has no list), what needs an agent; nothing of a file left to another writer.
    @Test func whatIsLeftFollowsEachOutcome() {
        let left = ReportSamples.facts.left
        let byPath = Dictionary(grouping: left, by: \.diagnostic.path)
        #expect(byPath["src/a.py"] == nil)
        #expect(byPath["src/f.py"] == nil)
        #expect(byPath["src/b.py"]?.map(\.diagnostic) == [ReportSamples.needsAgentAfterFix])
        #expect(byPath["src/b.py"]?.map(\.reason) == [.needsAgent])
        #expect(byPath["src/c.py"]?.map(\.reason) == [.failed])
        #expect(byPath["src/typed.py"]?.map(\.diagnostic) == [ReportSamples.mypyError])
        #expect(byPath["src/e.py"]?.map(\.diagnostic) == [ReportSamples.skippedNeedsAgent])
        #expect(left.count == 4)
    }

    /// Failed files first, type errors before lint, then path order; capped with a note.
    @Test func annotationsAreOrderedCappedAndNoteTheRest() {
        let left = ReportSamples.facts.left
        let all = GitHubAnnotations(level: .error, limit: nil).lines(left)
        #expect(all.count == 4)
        #expect(all[0].hasPrefix("::error file=src/typed.py,line=7,col=5,title=mypy assignment::"))
        #expect(all[1] == "::error file=src/c.py,line=2,col=1,endLine=2,endColumn=4,title=ruff E711::"
                + "E711 Comparison to `None` should be `cond is None` (stomper could not fix this file)%0A"
                + "https://docs.astral.sh/ruff/rules/E711")
        #expect(all[2].hasPrefix("::error file=src/b.py,line=4,"))
        #expect(all[2].contains("(needs an AI agent)"))
        #expect(all[3].hasPrefix("::error file=src/e.py,line=2,"))

        let capped = GitHubAnnotations(level: .warning, limit: 2).lines(left)
        #expect(capped.count == 3)
        #expect(Array(capped.prefix(2)) == Array(all.prefix(2)).map { $0.replacingOccurrences(of: "::error ", with: "::warning ") })
        #expect(capped[2] == "::notice title=stomper::2 more diagnostics left without an annotation (ci.annotation_limit = 2): "
                + "the job summary lists them all")
        // Notices are capped too: the note about notices is a warning.
        #expect(GitHubAnnotations(level: .notice, limit: 0).lines(left) == [
            "::warning title=stomper::4 more diagnostics left without an annotation (ci.annotation_limit = 0): the job summary lists them all",
        ])
        #expect(GitHubAnnotations(level: .error, limit: 4).lines(left) == all)
    }

    @Test func annotationPropertiesAreEscaped() {
        let odd = Diagnostic(tool: "ruff", path: "we,ird/na:me%.py", line: 3, column: 2, code: "F401", message: "100% bad\nreally")
        #expect(GitHubAnnotations(level: .error, limit: nil).annotation(LeftDiagnostic(odd, reason: .notAttempted))
                == "::error file=we%2Cird/na%3Ame%25.py,line=3,col=2,title=ruff F401::F401 100%25 bad%0Areally")
    }

    @Test func outputsUseTheHeredocFormForLineBreaks() {
        let values = GitHubOutputs.values(ReportSamples.facts)
        let byName = Dictionary(uniqueKeysWithValues: values)
        #expect(values.map(\.0).prefix(5) == ["fixed", "failed", "needs_agent", "commits", "branch"])
        #expect(byName["fixed"] == "2")
        #expect(byName["failed"] == "2")
        #expect(byName["needs_agent"] == "2")
        #expect(byName["commits"] == "\(ReportSamples.sha1) \(ReportSamples.sha2)")
        #expect(byName["branch"] == "main")
        #expect(byName["diagnostics_left"] == "4")
        #expect(GitHubOutputs.text([("a", "1"), ("b", "x\ny")]) == "a=1\nb<<STOMPER_EOF\nx\ny\nSTOMPER_EOF\n")
        #expect(GitHubOutputs.text([("b", "STOMPER_EOF\nSTOMPER_EOF_1")]) == "b<<STOMPER_EOF_2\nSTOMPER_EOF\nSTOMPER_EOF_1\nSTOMPER_EOF_2\n")
    }

    @Test func theJobSummaryHasTotalsFilesCommitLinksAndEveryDiagnosticLeft() {
        let markdown = JobSummary(ci: ReportSamples.githubEnvironment()).markdown(ReportSamples.facts)
        #expect(markdown.hasPrefix("## stomper fix on `main`\n"))
        #expect(markdown.contains("| Fixed | 1 |"))
        #expect(markdown.contains("| Partially fixed | 1 |"))
        #expect(markdown.contains("| Failed | 2 |"))
        #expect(markdown.contains("| Diagnostics left | 4 |"))
        #expect(markdown.contains("| `src/a.py` | ✅ fixed | F401, I001 | [`1111111`](https://github.com/octo/repo/commit/\(ReportSamples.sha1)) |  |"))
        #expect(markdown.contains("| `src/b.py` | 🟡 partially fixed | F401 | [`2222222`](https://github.com/octo/repo/commit/\(ReportSamples.sha2)) | F821 |"))
        #expect(markdown.contains("| `src/c.py` | ❌ refused (introduced diagnostics): introduced E999 |  |  | E711 |"))
        #expect(markdown.contains("### Needs an AI agent"))
        #expect(markdown.contains("- `src/b.py`: F821\n- `src/e.py`: E741\n"))
        #expect(markdown.contains("<details><summary>4 diagnostics left</summary>"))
        // Most important first, as the annotations.
        let typed = markdown.range(of: "`src/typed.py:7:5`")?.lowerBound
        let e = markdown.range(of: "`src/e.py:2:1`")?.lowerBound
        #expect(typed != nil && e != nil && typed! < e!)
        #expect(markdown.contains("| `src/e.py:2:1` | ruff | E741 | Ambiguous variable name: `l` | needs an AI agent |"))

        let plain = JobSummary(ci: ReportSamples.githubEnvironment(server: false)).markdown(ReportSamples.facts)
        #expect(plain.contains("| `src/a.py` | ✅ fixed | F401, I001 | `1111111` |  |"))
        #expect(!plain.contains("https://"))

        let bounded = JobSummary(ci: ReportSamples.githubEnvironment(), diagnosticLimit: 1).markdown(ReportSamples.facts)
        #expect(bounded.contains("… and 3 more"))
        #expect(!bounded.contains("`src/e.py:2:1`"))
    }

    @Test func tableCellsCannotBreakTheTable() {
        var facts = ReportSamples.facts
        facts.summary.add(FileOutcome(path: "src/p|q.py", status: .failed, reason: "a | b\n<script>", diagnosticsBefore: 0))
        let markdown = JobSummary(ci: ReportSamples.githubEnvironment()).markdown(facts)
        #expect(markdown.contains("| `src/p\\|q.py` | ❌ failed: a \\| b &lt;script&gt; |"))
    }
}
