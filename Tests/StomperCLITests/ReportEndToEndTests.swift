import Foundation
import StomperProcess
import StomperTestSupport
import Testing

@Suite(.tags(.e2e), .timeLimit(.minutes(10))) struct ReportEndToEndTests {
    static let hostile = "src/pkg/<img src=x onerror=alert(1)>.py"

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    /// A run of the demo mix with the chain autofix → mock agent (one file it fixes, one it
    /// never does) writes `.git/stomper/reports/RUN.html` and names it in its closing text;
    /// headless chromium shows a row for every file (the hostile name as text, no element made
    /// of it) and the timeline, and its screenshot is no blank page. `report latest --html`
    /// writes the same run again; a dry run with `--json` names its report in the JSON.
    @Test func aRunWritesItsReportAndChromiumRendersIt() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(
                at: dir + "/repo", fixable: 2, unfixable: 2,
                extra: [Self.hostile: PythonSamples.fixable(7)])
            let command = try MockAgent.command(
                script: [
                    "files": [
                        "src/pkg/unfixable_0.py": MockAgent.fixUnfixable(0),
                        "src/pkg/unfixable_1.py": [[String: Any]](),
                    ]
                ], in: dir)
            let result = try await repo.stomper(
                "fix", "--chain", "autofix,command", "--max-attempts", "2", "--parallel", "2",
                environment: ["STOMPER_AGENT_COMMAND": command, "STOMPER_AGENT_BACKOFF_BASE_MS": "0"])
            #expect(result.exitCode == 1, "\(result.stderrText)")
            let line = try #require(
                result.stdoutText.split(separator: "\n").first { $0.hasPrefix("stomper: report: ") },
                "\(result.stdoutText)")
            let path = String(line.dropFirst("stomper: report: ".count))
            #expect(path.hasPrefix(repo.root + "/.git/stomper/reports/") && path.hasSuffix(".html"))
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            let html = try String(contentsOfFile: path, encoding: .utf8)
            let files = ["src/pkg/fixable_0.py", "src/pkg/fixable_1.py", "src/pkg/unfixable_0.py", "src/pkg/unfixable_1.py", Self.hostile]
            for file in files { #expect(html.contains(Self.escaped(file)), "\(file) missing from the report") }
            #expect(!html.contains("<img"))
            // The attempts the mock agent made on unfixable_1 (two, both refused) are drawn.
            #expect(html.contains("ph-agent r-refused"))
            #expect(html.contains("ph-land r-success"))

            // Chromium: every file's row and the timeline's SVG in the DOM, the hostile name only as text.
            let dom = try await HeadlessChromium.run(["--dump-dom", "file://" + path], profile: dir + "/chromium")
            #expect(dom.exitCode == 0, "\(dom.stderrText)")
            let rows = dom.stdoutText.components(separatedBy: "<td class=\"path\">").dropFirst()
            #expect(rows.count == files.count)
            for file in files {
                #expect(rows.contains { $0.contains(">" + Self.escaped(file) + "</a></td>") }, "\(file) has no row in chromium's DOM")
            }
            #expect(dom.stdoutText.contains("<svg class=\"timeline\""))
            #expect(!dom.stdoutText.contains("<img"))
            let blankPage = dir + "/blank.html"
            try "<!DOCTYPE html><html><body></body></html>".write(toFile: blankPage, atomically: true, encoding: .utf8)
            // The blank page is small: the pure-Python decoder reads every row of it.
            for (page, png, size) in [(path, dir + "/report.png", "1280,2000"), (blankPage, dir + "/blank.png", "320,200")] {
                let shot = try await HeadlessChromium.run(
                    [
                        "--screenshot=\(png)", "--window-size=\(size)", "--hide-scrollbars",
                        "file://" + page,
                    ], profile: dir + "/chromium")
                #expect(shot.exitCode == 0, "\(shot.stderrText)")
            }
            #expect(try await HeadlessChromium.distinctColours(dir + "/blank.png") == 1)
            #expect(try await HeadlessChromium.distinctColours(dir + "/report.png") > 20)

            // `stomper report` writes the same run anywhere; it is the latest run.
            let again = try await repo.stomper("report", "latest", "--html", dir + "/again.html")
            #expect(again.exitCode == 0, "\(again.stderrText)")
            let rewritten = try String(contentsOfFile: dir + "/again.html", encoding: .utf8)
            let runID = String(path.split(separator: "/").last!.dropLast(".html".count))
            #expect(rewritten.contains("stomper run <code>\(runID)</code>"))
            #expect(rewritten.contains(Self.escaped(Self.hostile)))

            // A dry run is a run: its report is written too, and named in the --json report, not printed.
            let dry = try await repo.stomper(
                "fix", "--dry-run", "--json", "--chain", "autofix,command", "--max-attempts", "1",
                environment: ["STOMPER_AGENT_COMMAND": command])
            let report = try repo.report(dry)
            let dryPath = try #require(report["report"] as? String, "\(dry.stdoutText)")
            #expect(dryPath.hasSuffix("/\(report["run_id"] as? String ?? "?").html"))
            #expect(FileManager.default.fileExists(atPath: dryPath))
            #expect(!dry.stdoutText.contains("stomper: report:"))
        }
    }

    /// Bad input names the input and the fix, exit 2: no --html, an unknown run, no runs at all,
    /// a folder that does not exist.
    @Test func badInputIsRefusedClearly() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 1)
            let noOutput = try await repo.stomper("report")
            #expect(noOutput.exitCode == 2 && noOutput.stderrText.contains("--html FILE"), "\(noOutput.stderrText)")
            let noRuns = try await repo.stomper("report", "latest", "--html", dir + "/r.html")
            #expect(noRuns.exitCode == 2 && noRuns.stderrText.contains("no runs yet"), "\(noRuns.stderrText)")
            let unknown = try await repo.stomper("report", "no-such-run", "--html", dir + "/r.html")
            #expect(unknown.exitCode == 2 && unknown.stderrText.contains("no run no-such-run"), "\(unknown.stderrText)")
            let fixed = try await repo.stomper("fix")
            #expect(fixed.exitCode == 0, "\(fixed.stderrText)")
            let missingFolder = try await repo.stomper("report", "--html", dir + "/missing/r.html")
            #expect(missingFolder.exitCode == 2 && missingFolder.stderrText.contains(dir + "/missing/r.html"), "\(missingFolder.stderrText)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/r.html"))
        }
    }
}
