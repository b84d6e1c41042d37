import Foundation
import StomperProcess
import StomperTestSupport
import Testing

/// `check --output-format`, and `fix` in GitHub Actions / with report files, through the built binary.
@Suite(.tags(.e2e), .timeLimit(.minutes(10))) struct CIReportsEndToEndTests {
    /// A script shellcheck flags (SC2086, info) and can fix with `-f diff`.
    static let script = "#!/bin/sh\necho $1\n"
    static let fixedScript = "#!/bin/sh\necho \"$1\"\n"
    static let bothLinters: [String: String?] = ["STOMPER_LINTERS_ENABLED": "[\"ruff\", \"shellcheck\"]"]
    /// No CI detected whatever the machine running the tests sets.
    static let noCI: [String: String?] = ["STOMPER_CI": "0"]

    static func repository(_ dir: String) async throws -> PythonRepository {
        try await PythonRepository.create(at: dir + "/repo", fixable: 1, unfixable: 1, extra: ["scripts/run.sh": script])
    }

    /// Repository text as the job summary sets it: `<code>`, ASCII punctuation as numeric entities.
    static func code(_ text: String) -> String {
        "<code>"
            + text.unicodeScalars.map { scalar in
                scalar.isASCII && !scalar.properties.isAlphabetic && !("0"..."9").contains(scalar) && scalar != " "
                    ? "&#\(scalar.value);" : String(scalar)
            }.joined() + "</code>"
    }

    static func json(_ data: [UInt8]) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(data))
    }

    static func json(file: String) throws -> Any {
        try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: file)))
    }

    /// Applies the first fix of a SARIF result to `text`, as a SARIF consumer does (code-point
    /// columns, replacements from the last to the first).
    static func apply(fix: [String: Any], to text: String) throws -> String {
        let change = try #require((fix["artifactChanges"] as? [[String: Any]])?.first)
        let replacements = try #require(change["replacements"] as? [[String: Any]])
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array(String($0).unicodeScalars) + ["\n"] }
        func offset(_ line: Int, _ column: Int) -> Int { lines.prefix(line - 1).reduce(0) { $0 + $1.count } + column - 1 }
        var scalars = Array(text.unicodeScalars)
        for replacement in replacements.reversed() {
            let region = try #require(replacement["deletedRegion"] as? [String: Int])
            let inserted = (replacement["insertedContent"] as? [String: String])?["text"] ?? ""
            scalars.replaceSubrange(
                offset(region["startLine"]!, region["startColumn"]!)..<offset(region["endLine"]!, region["endColumn"]!),
                with: Array(inserted.unicodeScalars))
        }
        var result = ""
        result.unicodeScalars.append(contentsOf: scalars)
        return result
    }

    /// concise, github, json (= --json) and sarif list the same diagnostics of real ruff and
    /// shellcheck output; the SARIF validates against the official schema.
    @Test func checkPrintsEveryOutputFormat() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await Self.repository(dir)
            let environment = Self.bothLinters.merging(Self.noCI) { $1 }
            let concise = try await repo.stomper(["check", "--output-format", "concise"], environment: environment)
            #expect(concise.exitCode == 1, "\(concise.stderrText)")
            let lines = concise.stdoutText.split(separator: "\n").map(String.init)
            #expect(lines.contains("src/pkg/unfixable_0.py:2:5: E741 Ambiguous variable name: `l`"))
            #expect(lines.contains { $0.hasPrefix("scripts/run.sh:2:6: SC2086 ") })
            #expect(lines.contains { $0.hasPrefix("src/pkg/fixable_0.py:1:8: F401 ") })
            #expect(lines.allSatisfy { $0.range(of: #"^[^:]+:\d+:\d+: \S+ .+$"#, options: .regularExpression) != nil })

            let github = try await repo.stomper(["check", "--output-format", "github"], environment: environment)
            #expect(github.exitCode == 1)
            let annotations = github.stdoutText.split(separator: "\n").map(String.init)
            #expect(annotations.count == lines.count)
            #expect(annotations.allSatisfy { $0.hasPrefix("::error file=") })
            #expect(
                annotations.contains { $0.hasPrefix("::error file=src/pkg/unfixable_0.py,line=2,col=5,endLine=2,endColumn=6,title=ruff E741::E741 ") }
            )
            #expect(annotations.contains { $0.hasPrefix("::error file=scripts/run.sh,line=2,col=6,") && $0.contains("title=shellcheck SC2086::") })

            let json = try await repo.stomper(["check", "--output-format", "json"], environment: environment)
            let legacy = try await repo.stomper(["check", "--json"], environment: environment)
            #expect(json.exitCode == 1 && legacy.exitCode == 1)
            let report = try #require(try Self.json(json.standardOutput) as? NSDictionary)
            #expect(report == (try Self.json(legacy.standardOutput) as? NSDictionary))
            #expect(report["files"] != nil)

            let both = try await repo.stomper(["check", "--json", "--output-format", "sarif"], environment: environment)
            #expect(both.exitCode != 0 && both.exitCode != 1, "--json with another format is a usage error")

            let sarif = try await repo.stomper(["check", "--output-format", "sarif"], environment: environment)
            #expect(sarif.exitCode == 1)
            #expect(try await SarifSchema.errors(Data(sarif.standardOutput), in: dir) == [])
            let log = try #require(try Self.json(sarif.standardOutput) as? [String: Any])
            let runs = try #require(log["runs"] as? [[String: Any]])
            let names = runs.map { (($0["tool"] as? [String: Any])?["driver"] as? [String: Any])?["name"] as? String }
            #expect(names == ["ruff", "shellcheck"])
            let versions = runs.map { (($0["tool"] as? [String: Any])?["driver"] as? [String: Any])?["version"] as? String }
            #expect(versions.allSatisfy { ($0 ?? "").isEmpty == false })
            let results = runs.flatMap { $0["results"] as? [[String: Any]] ?? [] }
            #expect(results.count == lines.count)
            let shell = try #require(results.first { $0["ruleId"] as? String == "SC2086" })
            #expect(shell["level"] as? String == "note", "shellcheck's info level")
            let location = try #require((shell["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])
            #expect(location["artifactLocation"] as? [String: String] == ["uri": "scripts/run.sh", "uriBaseId": "%SRCROOT%"])

            let quality = try await repo.stomper(["check", "--output-format", "codequality"], environment: environment)
            #expect(quality.exitCode == 1)
            let issues = try #require(try Self.json(quality.standardOutput) as? [[String: Any]])
            #expect(issues.count == lines.count)
            let shellIssue = try #require(issues.first { $0["check_name"] as? String == "shellcheck/SC2086" })
            #expect(shellIssue["severity"] as? String == "info")
            #expect(((shellIssue["location"] as? [String: Any])?["lines"] as? [String: Any])?["begin"] as? Int == 2)
        }
    }

    /// In GitHub Actions without a terminal: per-file groups, an annotation for what is left
    /// (capped, with the note), the job summary appended to what an earlier step wrote, the
    /// outputs with the run's commits; lock waits are batch ones.
    @Test func fixInGitHubActionsAnnotatesSummarizesAndSetsOutputs() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 2, unfixable: 1)
            let summaryFile = dir + "/step-summary.md"
            let outputFile = dir + "/output.txt"
            try Data("# an earlier step\n".utf8).write(to: URL(fileURLWithPath: summaryFile))
            try Data("earlier=1\n".utf8).write(to: URL(fileURLWithPath: outputFile))
            let environment: [String: String?] = [
                "CI": "true", "GITHUB_ACTIONS": "true", "STOMPER_CI": nil, "GITHUB_STEP_SUMMARY": summaryFile,
                "GITHUB_OUTPUT": outputFile, "GITHUB_SERVER_URL": "https://github.example", "GITHUB_REPOSITORY": "octo/repo",
                "STOMPER_CI_ANNOTATION_LIMIT": "1",
            ]
            let dump = try await repo.stomper(["config", "dump"], environment: environment)
            #expect(dump.stdoutText.contains("mode = \"batch\"  # default in CI"), "\(dump.stdoutText)")
            let chosen = try await repo.stomper(["config", "dump"], environment: environment.merging(["STOMPER_FIX_MODE": "interactive"]) { $1 })
            #expect(chosen.stdoutText.contains("mode = \"interactive\"  # environment"))

            let result = try await repo.stomper(["fix"], environment: environment)
            #expect(result.exitCode == 1, "unfixable_0.py needs an agent: \(result.stderrText)")
            let output = result.stdoutText
            #expect(!output.contains("\r") && !output.contains("\u{1B}") && !result.stderrText.contains("\u{1B}"))
            let lines = output.split(separator: "\n").map(String.init)
            let groups = lines.filter { $0.hasPrefix("::group::") }
            #expect(groups.count >= 1)
            #expect(groups.count == lines.filter { $0 == "::endgroup::" }.count)
            #expect(groups.contains { $0.contains("src/pkg/unfixable_0.py") })
            let errors = lines.filter { $0.hasPrefix("::error ") }
            #expect(errors.count == 1)
            #expect(errors.first?.hasPrefix("::error file=src/pkg/unfixable_0.py,line=2,col=5,") == true, "\(errors)")
            #expect(errors.first?.contains("(needs an AI agent)") == true)
            #expect(
                lines.contains(
                    "::notice title=stomper::1 more diagnostic left without an annotation (ci.annotation_limit = 1): "
                        + "the job summary lists them all"))

            let commits = try await repo.fixture.git("log", "--format=%H", "-2").split(separator: "\n").map(String.init)
            #expect(commits.count == 2)
            let summary = try String(contentsOfFile: summaryFile, encoding: .utf8)
            #expect(summary.hasPrefix("# an earlier step\n## stomper fix on <code>main</code>\n"), "appended, not overwritten")
            for sha in commits { #expect(summary.contains("(https://github.example/octo/repo/commit/\(sha))")) }
            #expect(summary.contains("<details><summary>2 diagnostics left</summary>"))
            #expect(summary.contains(CIReportsEndToEndTests.code("src/pkg/unfixable_0.py:3:16")))

            let outputs = try String(contentsOfFile: outputFile, encoding: .utf8)
            #expect(outputs.hasPrefix("earlier=1\n"))
            let values = Dictionary(
                outputs.split(separator: "\n").compactMap { line -> (String, String)? in
                    guard let equals = line.firstIndex(of: "=") else { return nil }
                    return (String(line[..<equals]), String(line[line.index(after: equals)...]))
                }, uniquingKeysWith: { $1 })
            #expect(values["fixed"] == "2")
            #expect(values["failed"] == "0")
            #expect(values["needs_agent"] == "1")
            #expect(values["branch"] == "main")
            #expect(Set((values["commits"] ?? "").split(separator: " ").map(String.init)) == Set(commits))
        }
    }

    /// A pull request's file names are the attacker's: named like workflow commands (`::…::`,
    /// `##[…]`, a line break, terminal escapes), they reach the step's log through `check`, `fix`
    /// and its annotations and summary, and none becomes a command the runner obeys — the lines
    /// that start with `::` are exactly stomper's groups and annotations.
    @Test func hostileFileNamesCannotInjectWorkflowCommands() async throws {
        try await withTemporaryDirectory { dir in
            let hostile = [
                "src/pkg/::set-output name=pwned::yes.py", "src/pkg/##[error]legacy.py",
                "src/pkg/a\n::add-mask::secret.py", "src/pkg/ansi\u{1b}[2Jclear.py",
            ]
            var extra: [String: String] = [:]
            for (index, path) in hostile.enumerated() { extra[path] = PythonSamples.fixable(index) + PythonSamples.unfixable(index) }
            let repo = try await PythonRepository.create(at: dir + "/repo", extra: extra)
            let summaryFile = dir + "/summary.md"
            let environment: [String: String?] = [
                "CI": "true", "GITHUB_ACTIONS": "true", "STOMPER_CI": nil,
                "GITHUB_STEP_SUMMARY": summaryFile, "GITHUB_OUTPUT": dir + "/out",
            ]
            func expectInert(_ result: ProcessResult, _ what: String) {
                for line in (result.stdoutText + result.stderrText).split(separator: "\n") {
                    let content = line.drop(while: \.isWhitespace)
                    if content.hasPrefix("::") {
                        // stomper's own commands: the runner parses them as such (and then never
                        // looks for a legacy `##[` command in them); the annotation's `file=` is the
                        // file's real name, whatever it holds.
                        #expect(
                            content.range(of: #"^::(group::|endgroup::$|(error|warning|notice) (file|title)=)"#, options: .regularExpression) != nil,
                            "\(what): \(line)")
                        let data = content.hasPrefix("::group::") ? "" : String(content.split(separator: ",title=", maxSplits: 1).last ?? "")
                        #expect(!data.contains("\u{1b}"), "\(what): \(line)")
                    } else {
                        #expect(!line.contains("##["), "\(what): \(line)")
                        #expect(!line.contains("\u{1b}"), "\(what): \(line)")
                    }
                }
            }
            for format in ["text", "concise", "github", "json", "sarif"] {
                let check = try await repo.stomper(["check", "--output-format", format], environment: environment)
                #expect(check.exitCode == 1, "\(format): \(check.stderrText)")
                #expect(check.stdoutText.contains("pwned"), "\(format): the file is listed")
                expectInert(check, "check --output-format \(format)")
            }
            let fix = try await repo.stomper(["fix"], environment: environment)
            #expect(fix.exitCode == 1, "\(fix.stderrText)")
            #expect(fix.stdoutText.contains("\u{200B}::set-output name=pwned::yes.py") || fix.stdoutText.contains("::set-output name=pwned::yes.py:"))
            expectInert(fix, "fix")
            // Each hostile file got its commit; the annotations name them in escaped properties.
            #expect(
                try await repo.fixture.git("rev-list", "--count", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines) == "\(hostile.count + 1)")
            #expect(fix.stdoutText.contains("::error file=src/pkg/%3A%3Aset-output name=pwned%3A%3Ayes.py,"))
            let summary = try String(contentsOfFile: summaryFile, encoding: .utf8)
            #expect(summary.contains(Self.code("src/pkg/##[error]legacy.py")))
            #expect(!summary.contains("##[") && !summary.contains("\u{1b}"))
        }
    }

    /// With `--json` stdout stays the JSON report (no workflow commands in it); the job summary and
    /// outputs are still written, the summary file created when missing.
    @Test func jsonInGitHubActionsKeepsStdoutForTheReport() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", unfixable: 1)
            let result = try await repo.stomper(
                ["fix", "--json"],
                environment: [
                    "GITHUB_ACTIONS": "true", "STOMPER_CI": nil, "GITHUB_STEP_SUMMARY": dir + "/summary.md", "GITHUB_OUTPUT": dir + "/out",
                ])
            #expect(result.exitCode == 1)
            #expect(!result.stdoutText.contains("::"))
            #expect(try repo.report(result)["summary"] != nil)
            #expect(try String(contentsOfFile: dir + "/summary.md", encoding: .utf8).contains(Self.code("src/pkg/unfixable_0.py:2:5")))
            #expect(try String(contentsOfFile: dir + "/out", encoding: .utf8).contains("needs_agent=1\n"))
        }
    }

    /// With a terminal (through `script`), CI switches the live status line off; without CI it is there.
    @Test func ciHasNoLiveStatusLineEvenOnATerminal() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 2)
            func run(_ ci: String) async throws -> String {
                let command = "'\(StomperBinary.path)' fix --dry-run"
                let result = try await ProcessRunner.run(
                    ProcessSpec(
                        executable: "script", arguments: ["-q", "-e", "-c", command, "/dev/null"], workingDirectory: repo.root,
                        environment: ["STOMPER_DOCS_ENABLED": "false", "STOMPER_CI": ci, "GITHUB_ACTIONS": nil, "CI": nil],
                        timeout: .seconds(300)))
                #expect(result.exitCode == 0, "\(result.stdoutText) \(result.stderrText)")
                return result.stdoutText
            }
            let plain = try await run("1")
            #expect(plain.contains("would fix"))
            #expect(!plain.contains("\u{1B}[2K"))
            let live = try await run("0")
            #expect(live.contains("\u{1B}[2K"), "the control: a terminal gets the live line outside CI")
        }
    }

    /// `fix --dry-run --sarif`: what is left with stomper's verified fixes (ruff and shellcheck)
    /// as SARIF fixes that reproduce the fixed files; valid against the official schema.
    @Test func dryRunSarifCarriesTheVerifiedFixes() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await Self.repository(dir)
            let result = try await repo.stomper(
                ["fix", "--dry-run", "--sarif", "../out.sarif"], environment: Self.bothLinters.merging(Self.noCI) { $1 })
            #expect(result.exitCode == 1, "unfixable_0.py is left: \(result.stderrText)")
            let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/out.sarif"))
            #expect(try await SarifSchema.errors(data, in: dir) == [])
            let log = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let results = (log["runs"] as? [[String: Any]] ?? []).flatMap { $0["results"] as? [[String: Any]] ?? [] }
            func path(_ result: [String: Any]) -> String? {
                (((result["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])?["artifactLocation"]
                    as? [String: String])?["uri"]
            }
            let python = results.filter { path($0) == "src/pkg/fixable_0.py" }
            #expect(python.count >= 4)
            let pythonFixes = python.compactMap { ($0["fixes"] as? [[String: Any]])?.first }
            let pythonFix = try #require(pythonFixes.first)
            #expect(try Self.apply(fix: pythonFix, to: PythonSamples.fixable(0)) == PythonSamples.fixed(0))
            #expect(pythonFixes.count == python.count, "each ruff finding here is one the fix removes (UP035 as a side effect)")
            let shell = try #require(results.first { path($0) == "scripts/run.sh" })
            let shellFix = try #require((shell["fixes"] as? [[String: Any]])?.first)
            #expect(try Self.apply(fix: shellFix, to: Self.script) == Self.fixedScript)
            // What needs an agent has no fix.
            let unfixable = results.filter { path($0) == "src/pkg/unfixable_0.py" }
            #expect(unfixable.count == 2)
            #expect(unfixable.allSatisfy { $0["fixes"] == nil })
            // A dry run changes nothing.
            #expect(try repo.fixture.read("scripts/run.sh") == Self.script)
        }
    }

    /// `fix --codequality`: GitLab's fields for what is left after the run, fingerprints unique.
    @Test func fixWritesAGitLabCodeQualityReport() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 1, unfixable: 1)
            let result = try await repo.stomper(
                ["fix", "--codequality", "gl-code-quality.json"],
                environment: ["CI": "true", "GITLAB_CI": "true", "STOMPER_CI": nil, "GITHUB_ACTIONS": nil])
            #expect(result.exitCode == 1, "\(result.stderrText)")
            #expect(!result.stdoutText.contains("::"), "no GitHub commands under GitLab")
            let issues = try #require(try Self.json(file: repo.root + "/gl-code-quality.json") as? [[String: Any]])
            #expect(issues.count == 2)
            for issue in issues {
                #expect(issue["severity"] as? String == "major")
                #expect((issue["check_name"] as? String)?.hasPrefix("ruff/") == true)
                #expect((issue["description"] as? String)?.isEmpty == false)
                let location = try #require(issue["location"] as? [String: Any])
                #expect(location["path"] as? String == "src/pkg/unfixable_0.py")
                #expect(((location["lines"] as? [String: Any])?["begin"] as? Int ?? 0) >= 1)
            }
            #expect(Set(issues.compactMap { $0["fingerprint"] as? String }).count == 2)
            #expect(Set(issues.compactMap { $0["check_name"] as? String }) == ["ruff/E741", "ruff/F821"])
        }
    }
}
