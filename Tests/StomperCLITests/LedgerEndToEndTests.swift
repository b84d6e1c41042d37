import Foundation
import StomperProcess
import StomperTestSupport
import Testing

extension PythonRepository {
    func json(_ result: ProcessResult) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(result.standardOutput))
    }

    /// The ledger's view of the latest run (`stomper status --json`).
    func runState() async throws -> [String: Any]? {
        let result = try await stomper("status", "--json")
        guard result.exitCode == 0, result.stdoutText.hasPrefix("{") else { return nil }
        return try json(result) as? [String: Any]
    }

    /// Every `Stomper-Key` trailer in the branch's history, duplicates included.
    func landedKeys() async throws -> [String] {
        try await fixture.git("log", "--format=%(trailers:key=Stomper-Key,valueonly)").split(separator: "\n").map(String.init)
            .filter { !$0.isEmpty }
    }
}

enum SchemaValidator {
    static let schemas = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Config/schemas").path

    /// Validates NDJSON documents with Python's jsonschema against `Config/schemas/<schema>`.
    static func validate(_ documents: [Any], against schema: String) async throws -> String? {
        let lines = try documents.map { String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self) }
        let result = try await ProcessRunner.run(
            ProcessSpec(
                executable: "python3", arguments: [schemas + "/validate.py", schemas + "/" + schema],
                input: Array((lines.joined(separator: "\n") + "\n").utf8), timeout: .seconds(60)))
        return result.exitCode == 0 ? nil : result.stdoutText + result.stderrText
    }
}

@Suite(.tags(.e2e), .timeLimit(.minutes(10))) struct LedgerRecordsTests {
    /// Every kind of record the ledger emits matches its JSON Schema in Config/schemas.
    @Test func emittedRecordsMatchTheirSchemas() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 3, unfixable: 1)
            let fix = try await repo.stomper("fix", "-p", "2", "--json")
            #expect(fix.exitCode == 1, "\(fix.stderrText)")
            let runID = try #require(try repo.report(fix)["run_id"] as? String)

            let tail = try await repo.stomper("tail")
            let events = try tail.stdoutText.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) }
            #expect(events.count > 10)
            let types = Set(events.compactMap { ($0 as? [String: Any])?["type"] as? String })
            #expect(
                types.isSuperset(of: [
                    "run.started", "job.started", "cache.miss", "agent.started", "agent.finished",
                    "verify.finished", "land.started", "land.finished", "job.finished", "run.finished",
                ]))
            #expect(try await SchemaValidator.validate(events, against: "event.schema.json") == nil)

            let show = try await repo.stomper("show", runID, "--json")
            let shown = try #require(try repo.json(show) as? [String: Any])
            let receipts = try #require(shown["receipts"] as? [Any])
            #expect(receipts.count == 3)
            #expect(try await SchemaValidator.validate(receipts, against: "receipt.schema.json") == nil)
            #expect(try await SchemaValidator.validate([try #require(shown["snapshot"])], against: "snapshot-manifest.schema.json") == nil)
            #expect(try await SchemaValidator.validate([try #require(shown["run"])], against: "run-state.schema.json") == nil)
            let status = try #require(try await repo.runState())
            #expect(status["status"] as? String == "completed")
            #expect(try await SchemaValidator.validate([status], against: "run-state.schema.json") == nil)
            let jobs = try #require(status["jobs"] as? [String: Int])
            // The unfixable file needs an agent: recorded skipped with that reason, not failed.
            #expect(jobs["landed"] == 3 && jobs["skipped"] == 1 && (jobs["failed"] ?? 0) == 0 && jobs["total"] == 4, "\(jobs)")
        }
    }

    /// The validator itself rejects a record that breaks its schema, so the test above can fail.
    @Test func theSchemaCheckRejectsABadRecord() async throws {
        let bad: [String: Any] = [
            "schema_version": 1, "sequence": 0, "timestamp": "yesterday", "level": "loud", "run": NSNull(),
            "job": NSNull(), "type": "x", "step": "plan", "data": [:] as [String: Any],
        ]
        let errors = try #require(try await SchemaValidator.validate([bad], against: "event.schema.json"))
        #expect(errors.contains("timestamp") && errors.contains("level"))
    }

    @Test func showListsPerFileOutcomesAndRunsListsRuns() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 1, unfixable: 1)
            let fix = try await repo.stomper("fix", "--json")
            let runID = try #require(try repo.report(fix)["run_id"] as? String)
            let show = try await repo.stomper("show", runID)
            #expect(show.stdoutText.contains("landed   src/pkg/fixable_0.py: landed in"))
            #expect(
                show.stdoutText.contains("src/pkg/unfixable_0.py: skipped: needs an agent: E741, F821 are not autofixable"),
                "\(show.stdoutText)")
            let runs = try await repo.stomper("runs")
            #expect(runs.stdoutText.hasPrefix("\(runID)  completed"))
            let missing = try await repo.stomper("show", "run-nope")
            #expect(missing.exitCode == 2)
        }
    }

    /// API keys given to agents never reach events, outcomes or the terminal.
    @Test func secretsInTheAgentsEnvironmentAreRedacted() async throws {
        try await withTemporaryDirectory { dir in
            let secret = "sk-test-\(UUID().uuidString)"
            let repo = try await PythonRepository.create(at: dir + "/repo", extra: ["src/a.py": "import os\n\n\ndef a() -> int:\n    return 1\n"])
            let agent = dir + "/agent.sh"
            try Data("#!/bin/sh\necho \"using $OPENAI_API_KEY\"\necho \"bad key $OPENAI_API_KEY\" >&2\nexit 1\n".utf8)
                .write(to: URL(fileURLWithPath: agent))
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: agent)
            let environment: [String: String?] = [
                "OPENAI_API_KEY": secret, "STOMPER_FIX_AGENT": "command",
                "STOMPER_AGENT_COMMAND": "[\"\(agent)\", \"{file}\"]",
            ]
            let fix = try await repo.stomper("fix", environment: environment)
            #expect(fix.exitCode == 1)
            #expect(fix.stdoutText.contains("bad key [redacted]"))
            let tail = try await repo.stomper("tail")
            let runs = try await repo.stomper("runs", "--json")
            let runID = try #require((try repo.json(runs) as? [[String: Any]])?.first?["id"] as? String)
            let show = try await repo.stomper("show", runID, "--json")
            for output in [fix.stdoutText, fix.stderrText, tail.stdoutText, show.stdoutText] {
                #expect(!output.contains(secret))
            }
            let database = try Data(contentsOf: URL(fileURLWithPath: repo.root + "/.git/stomper/state.sqlite"))
            #expect(database.range(of: Data(secret.utf8)) == nil)
        }
    }
}

@Suite(.tags(.e2e), .timeLimit(.minutes(10))) struct FixCacheTests {
    /// A verified fix is paid for once: after a dry run, the real run lands every file with zero
    /// agent calls, still verifying each cached patch; a run with nothing left to fix lands nothing.
    @Test func aSecondRunReusesVerifiedFixesWithoutCallingTheAgent() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 4)
            let dry = try await repo.stomper("fix", "--dry-run", "--json")
            #expect(dry.exitCode == 0, "\(dry.stderrText)")
            #expect(try repo.outcomes(try repo.report(dry)).values.allSatisfy { $0["agent_calls"] as? Int == 1 })

            let real = try await repo.stomper("fix", "--json")
            #expect(real.exitCode == 0, "\(real.stderrText)")
            let report = try repo.report(real)
            let outcomes = try repo.outcomes(report)
            #expect(outcomes.count == 4)
            #expect(outcomes.values.allSatisfy { $0["status"] as? String == "fixed" && $0["agent_calls"] as? Int == 0 })
            let runID = try #require(report["run_id"] as? String)
            let events = try await repo.stomper("tail", "--run", runID).stdoutText
            #expect(events.components(separatedBy: "\"type\":\"cache.hit\"").count - 1 == 4)
            #expect(events.components(separatedBy: "\"from_cache\":true").count - 1 == 4)
            #expect(!events.contains("\"type\":\"agent.started\""))
            #expect(try await repo.commitCount() == 5)
            #expect(try await repo.ruffIsClean())

            let again = try await repo.stomper("fix", "--json")
            #expect(again.exitCode == 0)
            #expect(try repo.outcomes(try repo.report(again)).isEmpty)
            #expect(try await repo.commitCount() == 5)
        }
    }

    @Test func noCacheCallsTheAgentAgain() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 2)
            _ = try await repo.stomper("fix", "--dry-run")
            let real = try await repo.stomper("fix", "--no-cache", "--json")
            #expect(real.exitCode == 0)
            #expect(try repo.outcomes(try repo.report(real)).values.allSatisfy { $0["agent_calls"] as? Int == 1 })
        }
    }

    /// The cache never lands a patch without re-verifying it: a cached fix that no longer passes
    /// (the linter's settings changed the key's meaning) is dropped and the agent runs.
    @Test func aCachedFixThatNoLongerVerifiesIsDropped() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 1)
            _ = try await repo.stomper("fix", "--dry-run")
            // Corrupt the cached patch: it now adds an undefined name.
            let sqlite = repo.root + "/.git/stomper/state.sqlite"
            let script = """
                import sqlite3, json, base64
                db = sqlite3.connect('\(sqlite)')
                key, patch = db.execute('select key, patch from fix_cache').fetchone()
                data = json.loads(patch)
                for change in data['changes']:
                    if change.get('new'):
                        change['new']['bytes'] = list(b'x = undefined_name\\n')
                db.execute('update fix_cache set patch = ? where key = ?', (json.dumps(data), key))
                db.commit()
                """
            let edited = try await ProcessRunner.run(ProcessSpec(executable: "python3", arguments: ["-c", script], timeout: .seconds(30)))
            #expect(edited.exitCode == 0, "\(edited.stderrText)")
            let real = try await repo.stomper("fix", "--json")
            #expect(real.exitCode == 0, "\(real.stderrText)")
            let outcome = try #require(try repo.outcomes(try repo.report(real)).values.first)
            #expect(outcome["agent_calls"] as? Int == 1)
            #expect(try repo.fixture.read("src/pkg/fixable_0.py") == PythonSamples.fixed(0))
            #expect(try await repo.stomper("tail").stdoutText.contains("\"type\":\"cache.rejected\""))
        }
    }
}

@Suite(.tags(.e2e), .timeLimit(.minutes(10))) struct ResumeTests {
    @Test func fixRefusesWhileARunIsUnfinishedAndAbandonStartsOver() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 3)
            let killed = try await repo.stomper("fix", "-p", "1", environment: ["STOMPER_FAILPOINT": "land.before:2"])
            #expect(killed.termination == .signaled(SIGKILL))
            let refused = try await repo.stomper("fix")
            #expect(refused.exitCode == 2)
            #expect(refused.stderrText.contains("stomper resume"))
            #expect(refused.stderrText.contains("--abandon"))
            let abandoned = try await repo.stomper("fix", "--abandon")
            #expect(abandoned.exitCode == 0, "\(abandoned.stderrText)")
            #expect(try await repo.commitCount() == 4)
            let runs = try #require(try repo.json(try await repo.stomper("runs", "--json")) as? [[String: Any]])
            #expect(runs.map { $0["status"] as? String } == ["completed", "aborted"])
            let nothing = try await repo.stomper("resume")
            #expect(nothing.exitCode == 2)
            #expect(nothing.stderrText.contains("nothing to resume"))
        }
    }

    /// Killed at each point of a landing, `resume` ends where an uninterrupted run ends: every file
    /// fixed once, no key twice, nothing half-written, no lock or worktree left, ledger completed.
    @Test(arguments: ["land.before:2", "land.checkout:2", "land.after:2"])
    func resumeAfterAKillInsideALanding(failpoint: String) async throws {
        try await withTemporaryDirectory { dir in
            let reference = try await PythonRepository.create(at: dir + "/reference", fixable: 4, unfixable: 1)
            _ = try await reference.stomper("fix", "-p", "2")
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 4, unfixable: 1)
            let killed = try await repo.stomper("fix", "-p", "2", environment: ["STOMPER_FAILPOINT": failpoint])
            #expect(killed.termination == .signaled(SIGKILL))
            let resumed = try await repo.stomper("resume", "--json")
            #expect(resumed.exitCode == 1, "\(resumed.stderrText)")
            try await ResumeTests.expectFinished(repo, like: reference)
            if failpoint.hasPrefix("land.after") {
                #expect(try await repo.stomper("tail").stdoutText.contains("\"type\":\"job.reconciled\""))
            }
            if failpoint.hasPrefix("land.checkout") {
                #expect(try await repo.stomper("tail").stdoutText.contains("\"type\":\"landing.repaired\""))
            }
        }
    }

    /// A file changed on the branch after the run started is re-planned with a new key.
    @Test func aFileChangedSinceTheSnapshotIsReplanned() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 3)
            let killed = try await repo.stomper("fix", "-p", "1", environment: ["STOMPER_FAILPOINT": "land.before:1"])
            #expect(killed.termination == .signaled(SIGKILL))
            try repo.fixture.write(["src/pkg/fixable_2.py": "import sys\n\n\ndef changed() -> int:\n    return 2\n"])
            try await repo.fixture.commitAll("a person changed a file meanwhile")
            let resumed = try await repo.stomper("resume", "--json")
            #expect(resumed.exitCode == 0, "\(resumed.stderrText)")
            #expect(try repo.fixture.read("src/pkg/fixable_2.py") == "\n\ndef changed() -> int:\n    return 2\n")
            #expect(try await repo.stomper("tail").stdoutText.contains("\"type\":\"job.replanned\""))
            #expect(try await repo.runState()?["status"] as? String == "completed")
            // The killed run wrote no report; the resume writes the whole run's.
            let report = try #require(try repo.report(resumed)["report"] as? String, "\(resumed.stdoutText)")
            let page = try String(contentsOfFile: report, encoding: .utf8)
            #expect((0..<3).allSatisfy { page.contains("src/pkg/fixable_\($0).py") })
            let keys = try await repo.landedKeys()
            #expect(keys.count == 3 && Set(keys).count == 3)
        }
    }

    /// SIGKILL at random moments of real runs, resumed each time (and sometimes killed again
    /// while resuming), 20 times over: always the same result as an uninterrupted run.
    ///
    /// Seeded: the seed is in every failure message, and `STOMPER_TEST_SEED=<seed>` replays it.
    /// The 20 iterations are independent repositories and run three at a time.
    /// `STOMPER_TEST_SOAK=<n>` runs n iterations instead (a soak).
    @Test(.tags(.slow)) func randomKillsAndResumesEndLikeAnUninterruptedRun() async throws {
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["STOMPER_TEST_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 0...UInt64(UInt32.max))
        let iterations = environment["STOMPER_TEST_SOAK"].flatMap { Int($0) } ?? 20
        try await withTemporaryDirectory { dir in
            let reference = try await PythonRepository.create(at: dir + "/reference", fixable: 6, unfixable: 1)
            let start = ContinuousClock.now
            // Docs on, as in the killed runs: a kill during docgen must be resumed like any other.
            _ = try await reference.stomper("fix", "-p", "2", environment: ["STOMPER_DOCS_ENABLED": "true"])
            let runSeconds = Self.seconds(ContinuousClock.now - start)
            var kills = 0
            var unkilled: [String] = []
            try await withThrowingTaskGroup(of: (kills: Int, unkilled: [String]).self) { group in
                var next = 0
                func start(_ iteration: Int) {
                    group.addTask {
                        try await Self.killAndResume(iteration: iteration, seed: seed, runSeconds: runSeconds, reference: reference, in: dir)
                    }
                }
                while next < min(3, iterations) {
                    start(next)
                    next += 1
                }
                while let result = try await group.next() {
                    kills += result.kills
                    unkilled += result.unkilled
                    if next < iterations {
                        start(next)
                        next += 1
                    }
                }
            }
            #expect(kills >= iterations, "seed \(seed): only \(kills) runs were actually killed; not killed: \(unkilled)")
        }
    }

    /// One iteration: a `fix` killed at a random moment, then `resume` (or `fix`) until the run is
    /// completed, itself killed now and then; the result must be the uninterrupted run's.
    static func killAndResume(
        iteration: Int, seed: UInt64, runSeconds: Double, reference: PythonRepository,
        in dir: String
    ) async throws -> (kills: Int, unkilled: [String]) {
        var generator = SeededGenerator(state: seed &+ UInt64(iteration) &* 0x1_0000_0001)
        var kills = 0
        var unkilled: [String] = []
        // The first `fix` is killed at a random moment of its run. If it finished first (the
        // machine was faster than the reference run), the iteration starts over with a delay
        // drawn from within the run that was just measured, so every iteration really is
        // interrupted however fast the machine is.
        var delay = Double.random(in: 0.02...max(0.05, runSeconds * 0.9), using: &generator)
        var repo = try await PythonRepository.create(at: dir + "/repo-\(iteration)-0", fixable: 6, unfixable: 1)
        for retry in 1...6 {
            let started = ContinuousClock.now
            let first = try await ResumeTests.run(repo, ["fix", "-p", "2"], killAfter: delay)
            if first.exitCode == 137 || first.termination == .signaled(SIGKILL) {
                kills += 1
                break
            }
            let took = Self.seconds(ContinuousClock.now - started)
            unkilled.append("iteration \(iteration) after \(delay)s (it ran \(took)s): \(first.termination) \(first.stderrText.suffix(300))")
            delay = Double.random(in: 0.01...max(0.02, min(delay / 2, took * 0.8)), using: &generator)
            repo = try await PythonRepository.create(at: dir + "/repo-\(iteration)-\(retry)", fixable: 6, unfixable: 1)
        }
        var finished = false
        for step in 0..<12 where !finished {
            let state = try await repo.runState()
            let arguments: [String]
            if let status = state?["status"] as? String, status == "running" || status == "interrupted" {
                arguments = ["resume", "-p", "2"]
            } else if state?["status"] as? String == "completed" {
                finished = true
                continue
            } else {
                arguments = ["fix", "-p", "2"]
            }
            // Resuming is itself killed at random now and then.
            let killAfter =
                step < 2 && Bool.random(using: &generator)
                ? Double.random(in: 0.02...max(0.05, runSeconds * 0.9), using: &generator) : nil
            let result = try await ResumeTests.run(repo, arguments, killAfter: killAfter)
            // `timeout -s KILL` exits 137 when it had to kill stomper.
            if result.exitCode == 137 || result.termination == .signaled(SIGKILL) { kills += 1 }
        }
        #expect(finished, "seed \(seed): iteration \(iteration) did not finish")
        try await ResumeTests.expectFinished(repo, like: reference)
        return (kills, unkilled)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Runs stomper and, when `killAfter` is set, SIGKILLs it after that many seconds.
    static func run(_ repo: PythonRepository, _ arguments: [String], killAfter: Double?) async throws -> ProcessResult {
        guard let killAfter else { return try await StomperBinary.run(arguments, in: repo.root) }
        return try await StomperBinary.run(
            ["timeout", "-s", "KILL", String(format: "%.3f", killAfter), StomperBinary.path] + arguments,
            in: repo.root, viaExecutable: "timeout")
    }

    static func expectFinished(_ repo: PythonRepository, like reference: PythonRepository) async throws {
        let tree = try await repo.fixture.git("rev-parse", "HEAD^{tree}")
        let expected = try await reference.fixture.git("rev-parse", "HEAD^{tree}")
        #expect(tree == expected, "final tree differs from the uninterrupted run")
        let keys = try await repo.landedKeys()
        #expect(keys.count == Set(keys).count, "a Stomper-Key landed twice")
        let status = try await repo.status()
        #expect(status.isEmpty, "the working tree is not clean: \(status)")
        #expect(try await repo.worktreeCount() == 1)
        #expect(!FileManager.default.fileExists(atPath: repo.root + "/.git/index.lock"))
        #expect(!FileManager.default.fileExists(atPath: repo.root + "/.git/refs/heads/main.lock"))
        #expect(try await repo.runState()?["status"] as? String == "completed")
    }
}
