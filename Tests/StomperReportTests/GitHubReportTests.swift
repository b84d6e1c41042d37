import Foundation
import StomperCore
import StomperQuality
import StomperReport
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct GitHubReportTests {
    @Test func dataAndPropertiesAreEscapedAsTheRunnerUnescapes() {
        #expect(WorkflowCommand.escapeData("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b")
        #expect(WorkflowCommand.escapeProperty("dir,x/a:b%.py\n") == "dir%2Cx/a%3Ab%25.py%0A")
        #expect(
            WorkflowCommand.make("error", [("file", "a,b.py"), ("title", "ruff: F401")], "50%\nmore")
                == "::error file=a%2Cb.py,title=ruff%3A F401::50%25%0Amore")
    }

    @Test func aFilesDetailLinesAreFoldedInAGroup() {
        #expect(
            WorkflowCommand.grouped("fixed  src/a.py: 2 fixed\n    src/a.py:1:1: F401 x\n    src/a.py:2:1: E711 y")
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
        #expect(
            all[1] == "::error file=src/c.py,line=2,col=1,endLine=2,endColumn=4,title=ruff E711::"
                + "E711 Comparison to `None` should be `cond is None` (stomper could not fix this file)%0A"
                + "https://docs.astral.sh/ruff/rules/E711")
        #expect(all[2].hasPrefix("::error file=src/b.py,line=4,"))
        #expect(all[2].contains("(needs an AI agent)"))
        #expect(all[3].hasPrefix("::error file=src/e.py,line=2,"))

        let capped = GitHubAnnotations(level: .warning, limit: 2).lines(left)
        #expect(capped.count == 3)
        #expect(Array(capped.prefix(2)) == Array(all.prefix(2)).map { $0.replacingOccurrences(of: "::error ", with: "::warning ") })
        #expect(
            capped[2] == "::notice title=stomper::2 more diagnostics left without an annotation (ci.annotation_limit = 2): "
                + "the job summary lists them all")
        // Notices are capped too: the note about notices is a warning.
        #expect(
            GitHubAnnotations(level: .notice, limit: 0).lines(left) == [
                "::warning title=stomper::4 more diagnostics left without an annotation (ci.annotation_limit = 0): the job summary lists them all"
            ])
        #expect(GitHubAnnotations(level: .error, limit: 4).lines(left) == all)
    }

    @Test func annotationPropertiesAreEscaped() {
        let odd = Diagnostic(tool: "ruff", path: "we,ird/na:me%.py", line: 3, column: 2, code: "F401", message: "100% bad\nreally")
        #expect(
            GitHubAnnotations(level: .error, limit: nil).annotation(LeftDiagnostic(odd, reason: .notAttempted))
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
        #expect(markdown.hasPrefix("## stomper fix on <code>main</code>\n"))
        #expect(markdown.contains("| Fixed | 1 |"))
        #expect(markdown.contains("| Partially fixed | 1 |"))
        #expect(markdown.contains("| Failed | 2 |"))
        #expect(markdown.contains("| Diagnostics left | 4 |"))
        #expect(
            markdown.contains(
                "| <code>src&#47;a&#46;py</code> | ✅ fixed | F401, I001 | [`1111111`](https://github.com/octo/repo/commit/\(ReportSamples.sha1)) |  |"
            ))
        #expect(
            markdown.contains(
                "| \(Self.code("src/b.py")) | 🟡 partially fixed | F401 | [`2222222`](https://github.com/octo/repo/commit/\(ReportSamples.sha2)) | F821 |"
            ))
        #expect(markdown.contains("| \(Self.code("src/c.py")) | ❌ refused (introduced diagnostics): introduced E999 |  |  | E711 |"))
        #expect(markdown.contains("### Needs an AI agent"))
        #expect(markdown.contains("- \(Self.code("src/b.py")): F821\n- \(Self.code("src/e.py")): E741\n"))
        #expect(markdown.contains("<details><summary>4 diagnostics left</summary>"))
        // Most important first, as the annotations.
        let typed = markdown.range(of: Self.code("src/typed.py:7:5"))?.lowerBound
        let e = markdown.range(of: Self.code("src/e.py:2:1"))?.lowerBound
        #expect(typed != nil && e != nil && typed! < e!)
        #expect(markdown.contains("| \(Self.code("src/e.py:2:1")) | ruff | E741 | Ambiguous variable name&#58; &#96;l&#96; | needs an AI agent |"))

        let plain = JobSummary(ci: ReportSamples.githubEnvironment(server: false)).markdown(ReportSamples.facts)
        #expect(plain.contains("| \(Self.code("src/a.py")) | ✅ fixed | F401, I001 | `1111111` |  |"))
        #expect(!plain.contains("https://"))

        let bounded = JobSummary(ci: ReportSamples.githubEnvironment(), diagnosticLimit: 1).markdown(ReportSamples.facts)
        #expect(bounded.contains("… and 3 more"))
        #expect(!bounded.contains(Self.code("src/e.py:2:1")))
    }

    /// What `JobSummary` should make of repository text: `<code>` around ASCII punctuation as
    /// numeric entities (written out here on its own, not with the code under test).
    static func code(_ text: String) -> String {
        "<code>"
            + text.unicodeScalars.map { scalar in
                scalar.isASCII && !scalar.properties.isAlphabetic && !("0"..."9").contains(scalar) && scalar != " "
                    ? "&#\(scalar.value);" : String(scalar)
            }.joined() + "</code>"
    }

    @Test func tableCellsCannotBreakTheTable() {
        var facts = ReportSamples.facts
        facts.summary.add(FileOutcome(path: "src/p|q.py", status: .failed, reason: "a | b\n<script>", diagnosticsBefore: 0))
        let markdown = JobSummary(ci: ReportSamples.githubEnvironment()).markdown(facts)
        #expect(markdown.contains("| <code>src&#47;p&#124;q&#46;py</code> | ❌ failed: a &#124; b&#92;x0a&#60;script&#62; |"), "\(markdown)")
    }

    /// A file name or message from a pull request cannot make the summary render a link, an image
    /// (a tracking pixel), HTML, or leave its code span.
    @Test func pathsAndMessagesCannotRenderLinksOrImages() {
        var facts = ReportSamples.facts
        let path = "src/`![x](https://evil.example/p.png)`<img src=x>[a](javascript:alert(1)).py"
        facts.summary.add(
            FileOutcome(
                path: path, status: .failed, reason: "see [here](https://evil.example) www.evil.example",
                diagnosticsBefore: 0))
        let markdown = JobSummary(ci: ReportSamples.githubEnvironment()).markdown(facts)
        let row = markdown.split(separator: "\n").first { $0.contains("evil") && $0.hasPrefix("| <code>") }.map(String.init) ?? ""
        #expect(row.hasPrefix("| <code>src&#47;&#96;&#33;&#91;x&#93;&#40;https&#58;&#47;&#47;evil&#46;example"), "\(row)")
        for active in ["`", "[", "]", "(", "<img", "](", "javascript:", "https://evil", "www.evil"] {
            #expect(!row.contains(active), "\(active) in \(row)")
        }
    }

    /// However many files and diagnostics are left, the summary stays under GitHub's limit and says
    /// what it left out.
    @Test func theSummaryIsCappedBySize() {
        var facts = ReportSamples.facts
        for index in 0..<3000 {
            let path = "src/" + String(repeating: "deep/", count: 20) + "module_\(index).py"
            facts.summary.add(FileOutcome(path: path, status: .failed, reason: String(repeating: "why ", count: 30), diagnosticsBefore: 1))
        }
        let summary = JobSummary(ci: ReportSamples.githubEnvironment(), diagnosticLimit: 5000, byteLimit: 200 * 1024)
        let markdown = summary.markdown(facts)
        #expect(markdown.utf8.count <= 200 * 1024, "\(markdown.utf8.count) bytes")
        #expect(markdown.contains("more files (the summary is kept under GitHub's size limit)"))
        #expect(markdown.contains(Self.code("src/a.py")))
        let full = JobSummary(ci: ReportSamples.githubEnvironment(), diagnosticLimit: 5000, byteLimit: 100 * 1024 * 1024).markdown(facts)
        #expect(!full.contains("size limit") && full.utf8.count > 1024 * 1024)
    }

    /// Repository text in a step's log cannot become a workflow command: `::` at a line's start
    /// (after white space) and `##[` anywhere are broken by a zero-width space; our own commands stay.
    @Test func aFileNameCannotInjectAWorkflowCommand() {
        #expect(WorkflowCommand.inert("::set-output name=x::y") == "\u{200B}::set-output name=x::y")
        #expect(WorkflowCommand.inert("  \t::add-mask::secret") == "  \t\u{200B}::add-mask::secret")
        #expect(WorkflowCommand.inert("fixed src/a.py ##[error]boom") == "fixed src/a.py #\u{200B}#[error]boom")
        #expect(WorkflowCommand.inert("a::b") == "a::b")
        #expect(WorkflowCommand.inert("ok\n::error::x\nfine") == "ok\n\u{200B}::error::x\nfine")
        // The title is the group command's data: the runner reads no command there.
        #expect(
            WorkflowCommand.grouped("failed  ::stop-commands::tok.py: x\n    ::stop-commands::tok.py:1:1: E1 m")
                == "::group::failed  ::stop-commands::tok.py: x\n    \u{200B}::stop-commands::tok.py:1:1: E1 m\n::endgroup::")
        #expect(WorkflowCommand.grouped("::error::one line") == "\u{200B}::error::one line")
        #expect(WorkflowCommand.inertJSON(###"{"message": "##[set-env name=A]b"}"###) == ###"{"message": "#\u0023[set-env name=A]b"}"###)
        let decoded = try? JSONSerialization.jsonObject(with: Data(WorkflowCommand.inertJSON(###"["##["]"###).utf8)) as? [String]
        #expect(decoded == ["##["])
    }

    @Test func displaySafeShowsControlAndBidiCharactersAsEscapes() {
        #expect("src/a.py".displaySafe == "src/a.py")
        #expect("a\u{1b}[31mred\r\nx\ty".displaySafe == "a\\x1b[31mred\\x0d\\x0ax\\x09y")
        #expect("evil\u{202E}yp.exe".displaySafe == "evil\\u{202e}yp.exe")
        #expect("\u{85}\u{7f}é".displaySafe == "\\x85\\x7fé")
        let diagnostic = Diagnostic(tool: "ruff", path: "a\nb.py", line: 1, column: 2, code: "F401", message: "x\u{1b}]8;;")
        #expect(diagnostic.displayLine == "a\\x0ab.py:1:2: F401 x\\x1b]8;;")
    }
}
