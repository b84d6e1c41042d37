import Foundation
import StomperProcess
import StomperTestSupport
import Synchronization
import Testing

/// The one JSON style of every `--json` output (docs/JSON.md), checked on what the built binary
/// prints: each document matches its schema in Config/schemas, no slash is escaped, no key is
/// camelCase, times are ISO 8601 strings, keys (`ik:…`) are bare strings.
enum JSONStyleCheck {
    /// Every problem of style in `stdout` (one JSON document, or NDJSON with `lines`).
    static func problems(_ stdout: String, lines: Bool = false, command: String) throws -> [String] {
        var problems: [String] = []
        if stdout.contains("\\/") { problems.append("\(command): escaped slash in \(stdout.prefix(300))") }
        let documents = try (lines ? stdout.split(separator: "\n").map(String.init) : [stdout])
            .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) }
        for document in documents { visit(document, at: command, into: &problems) }
        return problems
    }

    private static func visit(_ value: Any, at path: String, into problems: inout [String]) {
        if let object = value as? [String: Any] {
            for (key, item) in object {
                let here = path + "." + key
                // camelCase: a lower-case letter or digit directly followed by an upper-case one.
                if key.range(of: "[a-z0-9][A-Z]", options: .regularExpression) != nil { problems.append("camelCase key \(here)") }
                if key == "timestamp" || key.hasSuffix("_at") {
                    let iso = (item as? String)?.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$"#, options: .regularExpression) != nil
                    if !iso && !(item is NSNull) { problems.append("time \(here) is not ISO 8601 UTC: \(item)") }
                }
                if key == "key", !(item is String) { problems.append("key \(here) is not a string: \(item)") }
                if let wrapped = item as? [String: Any], wrapped.count == 1, wrapped["value"] != nil {
                    problems.append("\(here) wraps its value in {\"value\": …}")
                }
                visit(item, at: here, into: &problems)
            }
        } else if let array = value as? [Any] {
            for (index, item) in array.enumerated() { visit(item, at: path + "[\(index)]", into: &problems) }
        }
    }

    static func documents(_ stdout: String) throws -> [Any] {
        try stdout.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) }
    }
}

@Suite(.tags(.e2e), .timeLimit(.minutes(10))) struct JSONOutputTests {
    /// Every command's `--json` output, from real runs (a fix with an agent run, a dry run), matches
    /// its schema and the one style; `check --json` carries each file's verdict; `fix`, `show` and
    /// `status` carry the same file-outcome object.
    @Test func everyJSONOutputMatchesItsSchemaAndTheOneStyle() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 2, unfixable: 1)
            let check = try await repo.stomper("check", "--json")
            #expect(check.exitCode == 1, "\(check.stderrText)")
            let checked = try repo.report(check)
            let verdicts = (checked["files"] as? [[String: Any]] ?? []).map { "\($0["path"]!)=\($0["verdict"]!)" }
            #expect(verdicts == ["src/pkg/fixable_0.py=partial", "src/pkg/fixable_1.py=partial", "src/pkg/unfixable_0.py=needs_agent"])

            let dry = try await repo.stomper("fix", "--dry-run", "--json")
            #expect(dry.exitCode == 1, "\(dry.stderrText)")
            let fix = try await repo.stomper("fix", "--json")
            #expect(fix.exitCode == 1, "\(fix.stderrText)")
            let runID = try #require(try repo.report(fix)["run_id"] as? String)
            let export = dir + "/cache/cache.sqlite"

            let outputs: [(command: [String], schema: String, exit: Int32)] = [
                (["check", "--json"], "check-report.schema.json", 1),
                (["status", "--json"], "run-state.schema.json", 0),
                (["runs", "--json"], "runs.schema.json", 0),
                (["show", "latest", "--json"], "show.schema.json", 0),
                (["stats", "--json"], "stats.schema.json", 0),
                (["stats", "--run", runID, "--json"], "stats.schema.json", 0),
                (["stats", "--learning", "--json"], "learning.schema.json", 0),
                (["locks", "--json"], "locks.schema.json", 0),
                (["config", "dump", "--json"], "config-dump.schema.json", 0),
                (["cache", "export", export, "--json"], "cache-transfer.schema.json", 0),
                (["cache", "import", export, "--json"], "cache-transfer.schema.json", 0),
                (["docgen", "status", "--json"], "docgen.schema.json", 0),
                (["docgen", "src", "--json"], "docgen.schema.json", 0),
                (["show", "nonexistent", "--json"], "error.schema.json", 2),
            ]
            var problems =
                try JSONStyleCheck.problems(fix.stdoutText, command: "fix")
                + JSONStyleCheck.problems(dry.stdoutText, command: "fix --dry-run")
            #expect(try await SchemaValidator.validate([try repo.json(fix), try repo.json(dry)], against: "fix-report.schema.json") == nil)
            var printed: [String: [String: Any]] = [:]
            for output in outputs {
                let result = try await repo.stomper(output.command)
                let name = output.command.joined(separator: " ")
                #expect(result.exitCode == output.exit, "\(name): \(result.stderrText)")
                problems += try JSONStyleCheck.problems(result.stdoutText, command: name)
                let document = try repo.json(result)
                let invalid = try await SchemaValidator.validate([document], against: output.schema)
                #expect(invalid == nil, "\(name): \(invalid ?? "")")
                printed[name] = document as? [String: Any]
            }
            let tail = try await repo.stomper("tail", "--all")
            problems += try JSONStyleCheck.problems(tail.stdoutText, lines: true, command: "tail")
            let events = try JSONStyleCheck.documents(tail.stdoutText)
            #expect(events.contains { ($0 as? [String: Any])?["type"] as? String == "lease.acquired" }, "coordination events are shown")
            #expect(try await SchemaValidator.validate(events, against: "event.schema.json") == nil)
            #expect(problems == [])

            // One file-outcome object: fix's summary.files, show's jobs[].outcome, status's files.
            let fixed = try repo.outcomes(try repo.report(fix))["src/pkg/fixable_0.py"]
            let shownJobs = printed["show latest --json"]?["jobs"] as? [[String: Any]] ?? []
            let shown = shownJobs.first { $0["path"] as? String == "src/pkg/fixable_0.py" }?["outcome"] as? [String: Any]
            let status = (printed["status --json"]?["files"] as? [[String: Any]])?.first { $0["path"] as? String == "src/pkg/fixable_0.py" }
            for outcome in [fixed, shown, status] {
                #expect(outcome?["status"] as? String == "fixed")
                #expect((outcome?["key"] as? String)?.hasPrefix("ik:") == true)
                #expect(outcome?["commit"] as? String == shown?["commit"] as? String && shown?["commit"] != nil)
                #expect(Set(outcome?.keys.map { $0 } ?? []) == Set(shown?.keys.map { $0 } ?? []))
            }
            // A dry run's verified fixes are counted as such, not as skipped.
            let dryState = try #require(try repo.json(try await repo.stomper("runs", "--json")) as? [[String: Any]]).last
            let jobs = dryState?["jobs"] as? [String: Int]
            let drySummary = try #require(try repo.report(dry)["summary"] as? [String: Any])
            #expect(dryState?["dry_run"] as? Bool == true)
            #expect((drySummary["would_fix"] as? Int ?? 0) > 0)
            #expect(jobs?["would_fix"] == drySummary["would_fix"] as? Int, "\(jobs ?? [:])")
            #expect(jobs?["skipped"] == (drySummary["skipped"] as? Int ?? -1) + (drySummary["needs_agent"] as? Int ?? -1), "\(jobs ?? [:])")
        }
    }

    /// A command given --json that fails prints `{"error": {"code", "message"}}` on stdout and keeps exit
    /// status 2; the code is stable per kind of failure.
    @Test func errorsWithJSONAreJSONWithAStableCode() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 1)
            let cases: [(arguments: [String], code: String, cwd: String?)] = [
                (["fix", "--json", "--time-budget", "soon"], "invalid_input", nil),
                (["status", "--json"], "no_runs", nil),
                (["show", "run-nope", "--json"], "unknown_run", nil),
                (["status", "--json"], "not_a_repository", dir),
            ]
            for item in cases {
                let run =
                    item.cwd == nil
                    ? try await repo.stomper(item.arguments)
                    : try await StomperBinary.run(item.arguments, in: dir, environment: ["STOMPER_CI": "0"])
                let name = item.arguments.joined(separator: " ")
                #expect(run.exitCode == 2, "\(name): \(run.stdoutText) \(run.stderrText)")
                let document = try #require(try JSONSerialization.jsonObject(with: Data(run.standardOutput)) as? [String: Any], "\(name)")
                let error = document["error"] as? [String: Any]
                #expect(error?["code"] as? String == item.code, "\(name): \(document)")
                #expect((error?["message"] as? String)?.isEmpty == false)
                #expect(try await SchemaValidator.validate([document], against: "error.schema.json") == nil)
                #expect(run.stderrText.contains("stomper: error: "), "\(name): the message still goes to stderr")
            }
        }
    }
}

@Suite(.tags(.e2e), .timeLimit(.minutes(10))) struct RunSelectionTests {
    /// `latest` and unique prefixes name runs in show, tail, stats and resume; an ambiguous prefix lists
    /// the candidates and an unknown id names itself, both exit 2. `runs`, `show` and the summary say
    /// "would be fixed" for a dry run and "not started" for files an interrupted run never started.
    @Test func runsCanBeNamedByLatestOrAPrefixAndReadAsTheyHappened() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", unfixable: 3)
            var files: [String: Any] = [:]
            for index in 0..<3 { files["src/pkg/unfixable_\(index).py"] = MockAgent.fixUnfixable(index) }
            let command = try MockAgent.command(script: ["files": files], in: dir)
            let agent = ["STOMPER_AGENT_COMMAND": command]
            let dry = try await repo.stomper("fix", "--dry-run", "--json", "--agent", "command", environment: agent)
            let dryID = try #require(try repo.report(dry)["run_id"] as? String)
            let budget = try await repo.stomper(
                "fix", "--agent", "command", "--parallel", "1", "--max-agent-calls", "1", "--no-cache",
                environment: agent)
            #expect(budget.exitCode == 1, "\(budget.stderrText)")
            let summaryLine = budget.stdoutText.split(separator: "\n").map(String.init).first { $0.hasPrefix("stomper: 3 files:") } ?? ""
            #expect(summaryLine.hasPrefix("stomper: 3 files: 1 fixed, 2 not started (left for resume);"), "\(summaryLine)")
            // The per-file line of the file the spent budget stopped says the same: "not started", not "skipped".
            let notStarted = budget.stdoutText.split(separator: "\n").filter { $0.hasPrefix("not started ") }
            #expect(notStarted.count >= 1 && !budget.stdoutText.contains("\nskipped "), "\(budget.stdoutText)")
            let runs = try await repo.stomper("runs").stdoutText.split(separator: "\n").map(String.init)
            #expect(runs.count == 2)
            let interruptedID = try #require(runs.first?.split(separator: " ").first.map(String.init))
            #expect(
                runs.first?.contains("interrupted") == true && runs.first?.contains("1 landed, 0 failed, 0 skipped, 2 not started of 3") == true,
                "\(runs)")
            #expect(runs.last?.contains("dry run: 3 would be fixed, 0 failed, 0 skipped of 3") == true, "\(runs)")

            // latest, a unique prefix (with or without run-), the full id.
            for name in ["latest", String(interruptedID.dropLast(2)), String(interruptedID.dropFirst(4).dropLast(2)), interruptedID] {
                let show = try await repo.stomper("show", name)
                #expect(show.exitCode == 0 && show.stdoutText.hasPrefix("run \(interruptedID): interrupted"), "\(name): \(show.stdoutText)")
                #expect(show.stdoutText.contains("not started src/pkg/unfixable_2.py"), "\(show.stdoutText)")
            }
            let dryShow = try await repo.stomper("show", dryID)
            #expect(
                dryShow.stdoutText.contains("(dry run)") && dryShow.stdoutText.contains("would fix src/pkg/unfixable_0.py"),
                "\(dryShow.stdoutText)")
            // Both ids start run-YYYYMMDD-: ambiguous.
            let ambiguous = try await repo.stomper("show", String(dryID.prefix(13)))
            #expect(ambiguous.exitCode == 2)
            #expect(
                ambiguous.stderrText.contains("ambiguous") && ambiguous.stderrText.contains(dryID)
                    && ambiguous.stderrText.contains(interruptedID), "\(ambiguous.stderrText)")
            for arguments in [["show", "run-nope"], ["tail", "--run", "run-nope"], ["resume", "run-nope"], ["stats", "--run", "run-nope"]] {
                let unknown = try await repo.stomper(arguments)
                #expect(unknown.exitCode == 2, "\(arguments)")
                #expect(unknown.stderrText.contains("no run run-nope"), "\(arguments): \(unknown.stderrText)")
            }

            // tail: the latest run by default, --all for every run, -f ends with the run (it has).
            let latest = try JSONStyleCheck.documents(try await repo.stomper("tail").stdoutText).compactMap {
                ($0 as? [String: Any])?["run"] as? String
            }
            #expect(!latest.isEmpty && Set(latest) == [interruptedID])
            let all = try JSONStyleCheck.documents(try await repo.stomper("tail", "--all").stdoutText).compactMap {
                ($0 as? [String: Any])?["run"] as? String
            }
            #expect(Set(all) == [interruptedID, dryID])
            let followed = try await repo.stomper("tail", "-f", "--run", String(dryID.dropLast(1)))
            #expect(followed.exitCode == 0)
            #expect(followed.stdoutText.contains("\"type\":\"run.finished\""))
            #expect(try await repo.stomper("tail", "--all", "--run", "latest").exitCode == 2)

            // resume takes a prefix too, and finishes the interrupted run.
            let resumed = try await repo.stomper("resume", String(interruptedID.dropLast(1)), "--json", environment: agent)
            #expect(resumed.exitCode == 0, "\(resumed.stderrText)")
            #expect(try repo.report(resumed)["run_id"] as? String == interruptedID)
            #expect(try JSONStyleCheck.problems(resumed.stdoutText, command: "resume") == [])
            #expect(try await SchemaValidator.validate([try repo.json(resumed)], against: "fix-report.schema.json") == nil)
        }
    }

    /// `tail -f` follows a run while it is running and exits by itself once it has ended.
    @Test(.tags(.slow)) func tailFollowsARunUntilItEnds() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", unfixable: 2)
            var files: [String: Any] = [:]
            // The first agent waits for a gate the test opens once it has seen the run running, so
            // the run cannot end before it is seen, however slow the machine.
            let gate = repo.root + "/.git/test-gate"
            files["src/pkg/unfixable_0.py"] = [["wait_for_file": ["path": gate]]] + MockAgent.fixUnfixable(0)
            files["src/pkg/unfixable_1.py"] = MockAgent.fixUnfixable(1)
            let command = try MockAgent.command(script: ["files": files], in: dir)
            let finished = DoneFlag()
            let fix = Task {
                defer { finished.set() }
                return try await repo.stomper("fix", "--agent", "command", "--parallel", "1", environment: ["STOMPER_AGENT_COMMAND": command])
            }
            // Until the run is in the ledger and running (each poll is a process: no busy loop);
            // bounded by the fix's end and a deadline.
            var running = false
            var last = ""
            let deadline = ContinuousClock.now + .seconds(300)
            while !running && !finished.isSet && ContinuousClock.now < deadline {
                let status = try await repo.stomper("status", "--json")
                last = status.stdoutText + status.stderrText
                running = (try? JSONSerialization.jsonObject(with: Data(status.standardOutput)) as? [String: Any])?["status"] as? String == "running"
            }
            #expect(running, "the run was not seen running: \(last.prefix(500))")
            #expect(FileManager.default.createFile(atPath: gate, contents: Data()))
            let followed = try await repo.stomper("tail", "-f")
            let fixed = try await fix.value
            #expect(fixed.exitCode == 0, "\(fixed.stderrText)")
            #expect(followed.exitCode == 0)
            let types = try JSONStyleCheck.documents(followed.stdoutText).compactMap { ($0 as? [String: Any])?["type"] as? String }
            #expect(types.first == "run.started" && types.contains("run.finished"), "\(types)")
            #expect(types.filter { $0 == "land.finished" }.count == 2)
        }
    }
}

/// Set once by the task that finishes; read by the test polling beside it.
final class DoneFlag: Sendable {
    private let state = Atomic<Bool>(false)
    func set() { state.store(true, ordering: .sequentiallyConsistent) }
    var isSet: Bool { state.load(ordering: .sequentiallyConsistent) }
}
