import Foundation
import StomperCore
import StomperGit
import StomperQuality
import StomperReport
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct FileReportTests {
    // MARK: GitLab Code Quality

    @Test func codeQualityIssuesHaveTheDocumentedFields() throws {
        let data = try CodeQualityReport.json(ReportSamples.facts.left)
        let issues = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        #expect(issues.count == 4)
        for issue in issues {
            #expect(Set(issue.keys) == ["description", "check_name", "fingerprint", "severity", "location"])
            #expect(issue["description"] is String)
            #expect(issue["check_name"] is String)
            #expect((issue["fingerprint"] as? String)?.count == 64)
            #expect(["info", "minor", "major", "critical", "blocker"].contains(issue["severity"] as? String ?? ""))
            let location = try #require(issue["location"] as? [String: Any])
            #expect(location["path"] is String)
            let lines = try #require(location["lines"] as? [String: Any])
            #expect(lines["begin"] is Int)
        }
        let typed = try #require(issues.first { ($0["location"] as? [String: Any])?["path"] as? String == "src/typed.py" })
        #expect(typed["check_name"] as? String == "mypy/assignment")
        #expect(typed["description"] as? String == "assignment: Incompatible types in assignment (stomper could not fix this file)")
        #expect(((typed["location"] as? [String: Any])?["lines"] as? [String: Any])?["begin"] as? Int == 7)
    }

    @Test func severitiesMapFromTheLinters() {
        func severity(_ code: String, _ level: Diagnostic.Severity) -> String {
            CodeQualityReport.severity(
                LeftDiagnostic(
                    Diagnostic(
                        tool: "ruff", path: "a.py", line: 1, column: 1, code: code, message: "m",
                        severity: level), reason: .notAttempted))
        }
        #expect(severity("invalid-syntax", .error) == "critical")
        #expect(severity("E902", .error) == "critical")
        #expect(severity("F401", .error) == "major")
        #expect(severity("SC2086", .warning) == "minor")
        #expect(severity("note", .info) == "info")
        #expect(severity("note", .note) == "info")
    }

    /// Unique per issue (two identical findings in one file differ by occurrence), the same
    /// whatever the input order, and unchanged when an edit above moves a finding.
    @Test func fingerprintsAreUniqueAndStable() {
        let one = ReportSamples.ruff("a.py", 3, "F401", "`os` imported but unused")
        let twin = ReportSamples.ruff("a.py", 9, "F401", "`os` imported but unused")
        let other = ReportSamples.ruff("b.py", 3, "F401", "`os` imported but unused")
        let prints = Fingerprint.of([one, twin, other])
        #expect(Set(prints).count == 3)
        #expect(Fingerprint.of([other, twin, one]) == prints.reversed())
        var moved = one
        moved.line = 5
        var movedTwin = twin
        movedTwin.line = 11
        #expect(Fingerprint.of([moved, movedTwin, other]) == prints)
        var changed = one
        changed.message = "`sys` imported but unused"
        #expect(Fingerprint.of([changed])[0] != prints[0])
    }

    // MARK: SARIF

    static let diff = """
        diff --git a/src/a.py b/src/a.py
        index 1111111..2222222 100644
        --- a/src/a.py
        +++ b/src/a.py
        @@ -1,5 +1,4 @@
        -import os
         import sys
        -x = f"a"
        +x = "a"
         print(sys, x)
         y = 1

        """
    static let original = "import os\nimport sys\nx = f\"a\"\nprint(sys, x)\ny = 1\n"
    static let fixed = "import sys\nx = \"a\"\nprint(sys, x)\ny = 1\n"

    /// Applies line/column replacements (columns in code points, 1-based, end exclusive) as a
    /// SARIF consumer does: from the last to the first.
    static func apply(_ fix: SarifFix, to text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0) + "\n" }
        if lines.last == "\n" { lines.removeLast() }
        func offset(_ line: Int, _ column: Int) -> Int {
            lines.prefix(line - 1).reduce(0) { $0 + $1.unicodeScalars.count } + column - 1
        }
        var scalars = Array(text.unicodeScalars)
        for replacement in fix.changes[0].replacements.reversed() {
            let region = replacement.deleted
            let start = offset(region.startLine, region.startColumn)
            let end = offset(region.endLine, region.endColumn)
            scalars.replaceSubrange(start..<end, with: Array(replacement.inserted.unicodeScalars))
        }
        var result = ""
        result.unicodeScalars.append(contentsOf: scalars)
        return result
    }

    @Test func aGitDiffBecomesReplacementsThatReproduceTheFix() throws {
        let fix = try #require(SarifFix(diff: Self.diff))
        #expect(fix.changes.map(\.path) == ["src/a.py"])
        #expect(
            fix.changes[0].replacements == [
                .init(deleted: .init(startLine: 1, startColumn: 1, endLine: 2, endColumn: 1), inserted: ""),
                .init(deleted: .init(startLine: 3, startColumn: 1, endLine: 4, endColumn: 1), inserted: "x = \"a\"\n"),
            ])
        #expect(Self.apply(fix, to: Self.original) == Self.fixed)
    }

    @Test func insertionsAndALastLineWithoutNewlineAreReplacedExactly() throws {
        let diff = """
            --- a/m.py
            +++ b/m.py
            @@ -0,0 +1 @@
            +import sys
            @@ -2 +3 @@
            -print(x)
            \\ No newline at end of file
            +print(x, sys)
            \\ No newline at end of file

            """
        let fix = try #require(SarifFix(diff: diff))
        #expect(
            fix.changes[0].replacements == [
                .init(deleted: .init(startLine: 1, startColumn: 1, endLine: 1, endColumn: 1), inserted: "import sys\n"),
                .init(deleted: .init(startLine: 2, startColumn: 1, endLine: 2, endColumn: 9), inserted: "print(x, sys)"),
            ])
        #expect(Self.apply(fix, to: "x = 1\nprint(x)") == "import sys\nx = 1\nprint(x, sys)")
        #expect(SarifFix(diff: "not a diff\n") == nil)
    }

    /// One run per tool (mypy's without results too), rules by id with each result's index,
    /// locations relative to %SRCROOT%, fingerprints, and the dry run's fix on the diagnostics
    /// whose code it fixes; valid against the official schema.
    @Test func sarifHasARunPerToolWithRulesLocationsAndFixes() async throws {
        let plan = FixPlan(
            runID: "run-1", branch: "main", base: ObjectID(hex: String(repeating: "a", count: 40))!,
            jobs: [
                ReportSamples.job(
                    "src/a.py",
                    [
                        ReportSamples.ruff("src/a.py", 1, "F401", column: 8),
                        ReportSamples.ruff("src/a.py", 3, "F541", column: 5),
                    ],
                    needsAgent: [ReportSamples.ruff("src/a.py", 4, "F821", fixable: false)])
            ],
            skipped: [], toolVersions: ["ruff": "0.17.6", "mypy": "1.18.2"])
        var outcome = FileOutcome(
            path: "src/a.py", status: .wouldFix, diagnosticsBefore: 3, fixed: ["F401": 1, "F541": 1],
            changed: true, diff: Self.diff)
        outcome.needsAgent = [ReportSamples.ruff("src/a.py", 3, "F821", fixable: false)]
        let facts = RunFacts(plan: plan, summary: RunSummary([outcome]), dryRun: true, elapsedSeconds: 1, agent: "autofix")
        let data = try SarifReport(toolVersions: plan.toolVersions, root: "/repo root").json(facts.left)
        let log = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(log["version"] as? String == "2.1.0")
        let runs = try #require(log["runs"] as? [[String: Any]])
        let drivers = runs.compactMap { ($0["tool"] as? [String: Any])?["driver"] as? [String: Any] }
        #expect(drivers.map { $0["name"] as? String } == ["mypy", "ruff"])
        #expect(drivers.map { $0["version"] as? String } == ["1.18.2", "0.17.6"])
        #expect((runs[0]["results"] as? [Any])?.isEmpty == true)
        let rules = try #require(drivers[1]["rules"] as? [[String: Any]])
        #expect(rules.map { $0["id"] as? String } == ["F401", "F541", "F821"])
        let base = try #require(runs[1]["originalUriBaseIds"] as? [String: [String: String]])
        #expect(base["%SRCROOT%"]?["uri"] == "file:///repo%20root/")
        let results = try #require(runs[1]["results"] as? [[String: Any]])
        #expect(results.map { $0["ruleId"] as? String } == ["F401", "F541", "F821"])
        for result in results {
            let index = try #require(result["ruleIndex"] as? Int)
            #expect(rules[index]["id"] as? String == result["ruleId"] as? String)
            #expect(result["level"] as? String == "error")
            let location = try #require((result["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])
            let artifact = try #require(location["artifactLocation"] as? [String: String])
            #expect(artifact == ["uri": "src/a.py", "uriBaseId": "%SRCROOT%"])
            #expect((result["partialFingerprints"] as? [String: String])?["stomper/v1"]?.count == 64)
        }
        let region = try #require(
            ((results[0]["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])?["region"]
                as? [String: Int])
        #expect(region == ["startLine": 1, "startColumn": 8, "endLine": 1, "endColumn": 11])
        // F401 and F541 are what the verified fix fixes; F821 needs an agent and has none.
        #expect(results.map { ($0["fixes"] as? [Any])?.count } == [1, 1, nil])
        let change = try #require(((results[0]["fixes"] as? [[String: Any]])?.first?["artifactChanges"] as? [[String: Any]])?.first)
        let replacements = try #require(change["replacements"] as? [[String: Any]])
        #expect(replacements.count == 2)
        #expect((replacements[1]["insertedContent"] as? [String: String])?["text"] == "x = \"a\"\n")
        #expect(replacements[1]["deletedRegion"] as? [String: Int] == ["startLine": 3, "startColumn": 1, "endLine": 4, "endColumn": 1])

        try await withTemporaryDirectory { dir in
            #expect(try await SarifSchema.errors(data, in: dir) == [])
            // The validator does catch a broken log.
            let broken = Data(String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\"2.1.0\"", with: "\"2.0\"").utf8)
            let complaints = try await SarifSchema.errors(broken, in: dir)
            #expect(!complaints.isEmpty)
        }
    }

    @Test func conciseLinesAreRuffLike() {
        let left = [
            LeftDiagnostic(ReportSamples.ruff("b.py", 2, "E711", "x"), reason: .failed),
            LeftDiagnostic(ReportSamples.ruff("a.py", 10, "F401", "`os` imported but unused", column: 8), reason: .notAttempted),
        ]
        #expect(ConciseReport.lines(left) == ["a.py:10:8: F401 `os` imported but unused", "b.py:2:1: E711 x"])
    }
}
