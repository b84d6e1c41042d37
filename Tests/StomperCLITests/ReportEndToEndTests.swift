import Foundation
import StomperProcess
import StomperTestSupport
import Testing

/// Headless Debian chromium (`scripts/install-deps.sh` installs it), run as root without its
/// sandbox, with its own profile folder and a time limit.
enum HeadlessChromium {
    static var path: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func run(_ arguments: [String], profile: String) async throws -> ProcessResult {
        let chromium = try #require(path, "chromium is not installed: run scripts/install-deps.sh")
        return try await ProcessRunner.run(ProcessSpec(
            executable: chromium,
            arguments: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile)"] + arguments,
            timeout: .seconds(90), outputLimit: 64 * 1024 * 1024))
    }

    /// How many distinct colours a PNG has (counting stops at 64), decoded by Python's zlib with
    /// the five PNG row filters undone: a blank page has one.
    static func distinctColours(_ png: String) async throws -> Int {
        let script = #"""
            import struct, sys, zlib
            data = open(sys.argv[1], "rb").read()
            assert data[:8] == b"\x89PNG\r\n\x1a\n"
            pos, idat = 8, b""
            while pos < len(data):
                length, kind = struct.unpack(">I4s", data[pos:pos + 8])
                body = data[pos + 8:pos + 8 + length]
                if kind == b"IHDR":
                    width, height, depth, colour = struct.unpack(">IIBB", body[:10])
                elif kind == b"IDAT":
                    idat += body
                pos += 12 + length
            assert depth == 8 and colour in (2, 6)
            bpp = 3 if colour == 2 else 4
            raw, stride = zlib.decompress(idat), width * bpp
            previous, colours, at = bytearray(stride), set(), 0
            for _ in range(height):
                kind, row = raw[at], bytearray(raw[at + 1:at + 1 + stride])
                at += 1 + stride
                for i in range(stride):
                    a = row[i - bpp] if i >= bpp else 0
                    b = previous[i]
                    c = previous[i - bpp] if i >= bpp else 0
                    if kind == 1: row[i] = (row[i] + a) & 255
                    elif kind == 2: row[i] = (row[i] + b) & 255
                    elif kind == 3: row[i] = (row[i] + (a + b) // 2) & 255
                    elif kind == 4:
                        p = a + b - c
                        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                        row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
                for i in range(0, stride, bpp * 7):
                    colours.add(bytes(row[i:i + 3]))
                previous = row
                if len(colours) >= 64: break
            print(len(colours))
            """#
        let result = try await ProcessRunner.run(ProcessSpec(executable: "/usr/bin/env", arguments: ["python3", "-c", script, png],
                                                             timeout: .seconds(120)))
        #expect(result.exitCode == 0, "\(result.stderrText)")
        return Int(result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }
}

@Suite(.timeLimit(.minutes(10))) struct ReportEndToEndTests {
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
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 2, unfixable: 2,
                                                         extra: [Self.hostile: PythonSamples.fixable(7)])
            let command = try MockAgent.command(script: ["files": ["src/pkg/unfixable_0.py": MockAgent.fixUnfixable(0),
                                                                   "src/pkg/unfixable_1.py": [[String: Any]]()]], in: dir)
            let result = try await repo.stomper("fix", "--chain", "autofix,command", "--max-attempts", "2", "--parallel", "2",
                                                environment: ["STOMPER_AGENT_COMMAND": command, "STOMPER_AGENT_BACKOFF_BASE_MS": "0"])
            #expect(result.exitCode == 1, "\(result.stderrText)")
            let line = try #require(result.stdoutText.split(separator: "\n").first { $0.hasPrefix("stomper: report: ") },
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
                let shot = try await HeadlessChromium.run(["--screenshot=\(png)", "--window-size=\(size)", "--hide-scrollbars",
                                                           "file://" + page], profile: dir + "/chromium")
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
            let dry = try await repo.stomper("fix", "--dry-run", "--json", "--chain", "autofix,command", "--max-attempts", "1",
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
