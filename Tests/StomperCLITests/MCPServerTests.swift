import Foundation
import MCP
import StomperProcess
import StomperTestSupport
import Testing

/// `stomper mcp` driven over real standard input and output by the SDK's own client: the tools
/// list, the read tools, a dry-run and a real `fix` with progress, and the coordination tools.
@Suite(.tags(.e2e), .timeLimit(.minutes(10))) struct MCPServerTests {
    static let toolNames: Set<String> = [
        "check", "fix", "status", "show", "runs", "cancel", "locks", "stats", "docgen",
        "docgen_status", "claim", "write_file", "renew", "release",
    ]

    /// Every schema is a valid JSON Schema (draft 2020-12), by Python's `jsonschema`.
    static func checkSchemas(_ tools: [Tool]) async throws {
        var schemas: [String: Value] = [:]
        for tool in tools {
            schemas[tool.name + ".input"] = tool.inputSchema
            if let output = tool.outputSchema { schemas[tool.name + ".output"] = output }
        }
        let script = """
            import json, sys
            from jsonschema import Draft202012Validator
            for name, schema in json.load(sys.stdin).items():
                assert schema.get("type") == "object", name
                Draft202012Validator.check_schema(schema)
            print("ok")
            """
        let result = try await ProcessRunner.run(
            ProcessSpec(
                executable: "python3", arguments: ["-c", script],
                input: Array(try JSONEncoder().encode(schemas)), timeout: .seconds(60)))
        #expect(result.exitCode == 0 && result.stdoutText.contains("ok"), "\(result.stderrText)")
    }

    /// Asks `status` for a run until it is no longer running (bounded).
    static func waitForEnd(_ mcp: MCPConnection, run: String) async throws -> [String: Value] {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            let state = try await mcp.ok("status", ["run": .string(run)])
            if state["status"]?.stringValue != "running" { return state }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("run \(run) still running after two minutes")
        return [:]
    }

    @Test func theSDKClientListsValidSchemasAndDrivesCheckFixStatusLocksStatsAndDocgenStatus() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 3, unfixable: 1)
            let script = ["files": ["src/pkg/unfixable_0.py": MockAgent.fixUnfixable(0)]]
            let mcp = try await MCPConnection.start(
                root: repo.root,
                environment: [
                    "STOMPER_AGENT_COMMAND": try MockAgent.command(script: script, in: dir), "STOMPER_AGENT_BACKOFF_BASE_MS": "0",
                ])

            let (tools, _) = try await mcp.client.listTools()
            #expect(Set(tools.map(\.name)) == Self.toolNames)
            try await Self.checkSchemas(tools)

            let check = try await mcp.ok("check")
            let verdicts = Dictionary(
                uniqueKeysWithValues: (check["files"]?.arrayValue ?? []).compactMap { file in
                    file["path"]?.stringValue.map { ($0, file["verdict"]?.stringValue ?? "") }
                })
            #expect(["fix", "partial"].contains(verdicts["src/pkg/fixable_0.py"]), "\(verdicts)")
            #expect(verdicts["src/pkg/unfixable_0.py"] == "needs_agent")
            #expect(verdicts.count == 4)
            let narrowed = try await mcp.ok("check", ["codes": ["F821"]])
            #expect(narrowed["files"]?.arrayValue?.compactMap { $0["path"]?.stringValue } == ["src/pkg/unfixable_0.py"])

            // A dry run (the default) returns its run id at once and commits nothing.
            let commits = try await repo.commitCount()
            let dry = try await mcp.ok("fix")
            let dryRun = try #require(dry["run_id"]?.stringValue, "\(dry)")
            #expect(dry["dry_run"]?.boolValue == true)
            let dryState = try await Self.waitForEnd(mcp, run: dryRun)
            #expect(dryState["status"]?.stringValue == "completed")
            #expect(dryState["dry_run"]?.boolValue == true)
            #expect(dryState["jobs"]?["would_fix"]?.int == 3)
            #expect(try await repo.commitCount() == commits)

            // A real run with a progress token: the call follows it to the end with notifications.
            let token = ProgressToken.unique()
            let real = try await mcp.ok("fix", ["dry_run": false, "parallel": 2], progressToken: token)
            let report = try #require(real["report"], "\(real)")
            #expect(report["summary"]?["fixed"]?.int == 3, "\(report)")
            #expect(try await repo.commitCount() == commits + 3)
            let notifications = await mcp.progress.notifications
            #expect(!notifications.isEmpty)
            #expect(notifications.allSatisfy { $0.progressToken == token && $0.progress <= ($0.total ?? 0) })

            // The mock agent fixes what autofix cannot.
            let agentRun = try await mcp.ok("fix", ["dry_run": false, "agent": "command", "paths": ["src/pkg/unfixable_0.py"], "wait": true])
            #expect(agentRun["report"]?["summary"]?["fixed"]?.int == 1, "\(agentRun)")
            #expect(try await repo.commitCount() == commits + 4)
            #expect(try await repo.ruffIsClean())

            let latest = try await mcp.ok("status")
            #expect(latest["id"]?.stringValue == agentRun["run_id"]?.stringValue)
            let runs = try await mcp.ok("runs", ["limit": 10])
            #expect(runs["runs"]?.arrayValue?.count == 3)
            let shown = try await mcp.ok("show", ["run": .string(dryRun)])
            #expect(shown["run"]?["id"]?.stringValue == dryRun)
            let locks = try await mcp.ok("locks")
            #expect(locks["leases"]?.arrayValue != nil)
            let stats = try await mcp.ok("stats")
            #expect((stats["classes"]?["CRIT_CODE"]?["acquisitions"]?.int ?? 0) >= 4, "\(stats)")
            let docs = try await mcp.ok("docgen_status")
            #expect(docs["results"]?.arrayValue != nil)

            // Bad input names the argument; module errors keep their codes.
            let bad = try await mcp.failure("check", ["paths": 3])
            #expect(bad.code == "invalid_argument" && bad.message.contains("`paths`"), "\(bad)")
            let unknownArgument = try await mcp.failure("fix", ["dryrun": true])
            #expect(unknownArgument.code == "invalid_argument" && unknownArgument.message.contains("dry_run"), "\(unknownArgument)")
            let unknownRun = try await mcp.failure("show", ["run": "run-19990101"])
            #expect(unknownRun.code == "unknown_run", "\(unknownRun)")
            let parallel = try await mcp.failure("fix", ["parallel": 0])
            #expect(parallel.message.contains("`parallel`"), "\(parallel)")
            try await mcp.close()
        }
    }

    @Test func cancelInterruptsARunThisServerStartedAndLeavesItForResume() async throws {
        try await withTemporaryDirectory { dir in
            var files: [String: Any] = [:]
            for index in 0..<4 { files["src/pkg/unfixable_\(index).py"] = [["sleep_ms": 1500]] + MockAgent.fixUnfixable(index) }
            let repo = try await PythonRepository.create(at: dir + "/repo", unfixable: 4)
            let mcp = try await MCPConnection.start(
                root: repo.root,
                environment: [
                    "STOMPER_AGENT_COMMAND": try MockAgent.command(script: ["files": files], in: dir), "STOMPER_AGENT_BACKOFF_BASE_MS": "0",
                ])
            let started = try await mcp.ok("fix", ["dry_run": false, "agent": "command", "parallel": 1])
            let run = try #require(started["run_id"]?.stringValue)
            let cancelled = try await mcp.ok("cancel", ["run": .string(run)])
            #expect(cancelled["report"]?["interrupted"]?.boolValue == true, "\(cancelled)")
            let state = try await mcp.ok("status", ["run": .string(run)])
            #expect(state["status"]?.stringValue != "running")
            #expect((state["jobs"]?["planned"]?.int ?? 0) > 0, "files not started are left for resume: \(state)")
            let again = try await mcp.failure("cancel", ["run": .string(run)])
            #expect(again.code == "not_running", "\(again)")
            try await mcp.close()
        }
    }

    @Test func writeFileRefusesPathsOutsideTheRepositoryUnderGitAndThroughLinks() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 1)
            try FileManager.default.createDirectory(atPath: dir + "/outside", withIntermediateDirectories: true)
            try "secret\n".write(toFile: dir + "/outside/target.txt", atomically: true, encoding: .utf8)
            try FileManager.default.createSymbolicLink(atPath: repo.root + "/escape", withDestinationPath: dir + "/outside")
            try FileManager.default.createSymbolicLink(atPath: repo.root + "/link.txt", withDestinationPath: dir + "/outside/target.txt")
            let mcp = try await MCPConnection.start(root: repo.root)

            for path in ["../outside/target.txt", "/etc/passwd", ".git/hooks/pre-commit", "src/.git/config"] {
                let refused = try await mcp.failure("claim", ["paths": [.string(path)], "holder": "mallory"])
                #expect(refused.code == "forbidden_path", "\(path): \(refused)")
            }
            let claim = try await mcp.ok("claim", ["paths": ["escape/target.txt", "link.txt"], "holder": "mallory"])
            let tokens = Dictionary(
                uniqueKeysWithValues: (claim["leases"]?.arrayValue ?? []).compactMap { lease in
                    lease["path"]?.stringValue.map { ($0, lease["token"] ?? .null) }
                })
            let through = try await mcp.failure(
                "write_file",
                [
                    "path": "escape/target.txt", "content": "pwned\n",
                    "token": tokens["escape/target.txt"] ?? .null,
                ])
            #expect(through.code == "forbidden_path", "\(through)")
            // A link as the file itself is replaced by a regular file, never written through.
            _ = try await mcp.ok("write_file", ["path": "link.txt", "content": "mine\n", "token": tokens["link.txt"] ?? .null])
            #expect(try String(contentsOfFile: dir + "/outside/target.txt", encoding: .utf8) == "secret\n")
            let attributes = try FileManager.default.attributesOfItem(atPath: repo.root + "/link.txt")
            #expect(attributes[.type] as? FileAttributeType == .typeRegular)
            // A token is good only for the path it was granted for.
            let other = try await mcp.failure(
                "write_file",
                [
                    "path": "src/pkg/fixable_0.py", "content": "x = 1\n",
                    "token": tokens["link.txt"] ?? .null,
                ])
            #expect(other.code == "NotHeld", "\(other)")
            #expect(try String(contentsOfFile: repo.root + "/src/pkg/fixable_0.py", encoding: .utf8) == PythonSamples.fixable(0))
            try await mcp.close()
        }
    }
}

/// Several clients, each through its own `stomper mcp` process, on one repository.
@Suite(.tags(.e2e), .timeLimit(.minutes(10))) struct MCPCoordinationTests {
    /// Claims `path` for `holder`, retrying while another holder has it (bounded).
    static func claim(_ mcp: MCPConnection, _ path: String, holder: String, ttl: Double? = nil) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(60)
        var arguments: [String: Value] = ["paths": [.string(path)], "holder": .string(holder)]
        if let ttl { arguments["ttl_sec"] = .double(ttl) }
        while ContinuousClock.now < deadline {
            let (value, isError) = try await mcp.call("claim", arguments)
            if !isError, let token = value["leases"]?.arrayValue?.first?["token"]?.int { return token }
            #expect(value["error"]?["code"]?.stringValue == "ResourceBusy", "\(value)")
        }
        Issue.record("\(holder) could not claim \(path) within a minute")
        return 0
    }

    @Test func aSecondClientWaitsThenFailsNamingTheHolderAndAStaleTokenCannotOverwriteTheNewerWriter() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 1)
            let path = "src/pkg/fixable_0.py"
            let alpha = try await MCPConnection.start(root: repo.root, name: "alpha")
            let beta = try await MCPConnection.start(root: repo.root, name: "beta")
            // A TTL no load on the machine outlasts while beta asks.
            let first = try await alpha.ok("claim", ["paths": [.string(path)], "holder": "alpha", "ttl_sec": 600])
            let alphaToken = try #require(first["leases"]?.arrayValue?.first?["token"]?.int)

            let busy = try await beta.failure("claim", ["paths": [.string(path)], "holder": "beta"])
            #expect(busy.code == "ResourceBusy" && busy.message.contains("alpha"), "\(busy)")

            // alpha renews for a moment only, then stops: after that TTL beta takes the path over
            // with a newer token.
            _ = try await alpha.ok("renew", ["token": .int(alphaToken), "ttl_sec": 0.5])
            let betaToken = try await Self.claim(beta, path, holder: "beta")
            #expect(betaToken > alphaToken)
            _ = try await beta.ok("write_file", ["path": .string(path), "content": "beta = 2\n", "token": .int(betaToken)])
            let stale = try await alpha.failure("write_file", ["path": .string(path), "content": "alpha = 1\n", "token": .int(alphaToken)])
            #expect(stale.code == "StaleVersion" && stale.message.contains("beta"), "\(stale)")
            #expect(try String(contentsOfFile: repo.root + "/" + path, encoding: .utf8) == "beta = 2\n")
            let renew = try await alpha.failure("renew", ["token": .int(alphaToken)])
            #expect(renew.code == "NotHeld", "\(renew)")
            let renewed = try await beta.ok("renew", ["token": .int(betaToken), "ttl_sec": 60])
            #expect(renewed["token"]?.int == betaToken)
            _ = try await beta.ok("release", ["token": .int(betaToken)])

            let stats = try await beta.ok("stats")
            let code = stats["classes"]?["CRIT_CODE"]
            #expect((code?["busy_errors"]?.int ?? 0) >= 1, "\(stats)")
            #expect((code?["expiries"]?.int ?? 0) >= 1, "\(stats)")
            #expect((code?["stale_refusals"]?.int ?? 0) >= 1, "\(stats)")
            #expect((code?["writes"]?.int ?? 0) >= 1, "\(stats)")
            #expect((code?["renewals"]?.int ?? 0) >= 1, "\(stats)")
            try await alpha.close()
            try await beta.close()
        }
    }

    @Test func fourClientsWritingTwentyFilesEachLeaveEveryFileWithTheLastGrantedWritersWholeContent() async throws {
        try await withTemporaryDirectory { dir in
            let paths = (0..<20).map { "shared/file_\($0).txt" }
            let repo = try await PythonRepository.create(
                at: dir + "/repo",
                extra: Dictionary(uniqueKeysWithValues: paths.map { ($0, "empty\n") }))
            func payload(_ client: Int, _ path: String) -> String {
                // Large enough that a torn or interleaved write could not pass for a whole one.
                String(repeating: "client \(client) wrote \(path)\n", count: 2_000)
            }
            var clients: [MCPConnection] = []
            for index in 0..<4 { clients.append(try await MCPConnection.start(root: repo.root, name: "client-\(index)")) }
            let writes = try await withThrowingTaskGroup(of: [(path: String, token: Int, client: Int)].self) { group in
                for (index, mcp) in clients.enumerated() {
                    group.addTask {
                        var done: [(path: String, token: Int, client: Int)] = []
                        var generator = SeededGenerator(state: UInt64(index + 1))
                        for path in paths.shuffled(using: &generator) {
                            let token = try await Self.claim(mcp, path, holder: "client-\(index)")
                            _ = try await mcp.ok(
                                "write_file",
                                [
                                    "path": .string(path), "content": .string(payload(index, path)),
                                    "token": .int(token),
                                ])
                            _ = try await mcp.ok("release", ["token": .int(token)])
                            done.append((path, token, index))
                        }
                        return done
                    }
                }
                var all: [(path: String, token: Int, client: Int)] = []
                for try await done in group { all += done }
                return all
            }
            #expect(writes.count == 80)
            for path in paths {
                let last = try #require(writes.filter { $0.path == path }.max { $0.token < $1.token })
                let content = try String(contentsOfFile: repo.root + "/" + path, encoding: .utf8)
                #expect(
                    content == payload(last.client, path), "\(path) does not hold the last granted writer's (client \(last.client)) whole content")
            }
            for mcp in clients { try await mcp.close() }
        }
    }
}

/// The server checked against a second implementation: the Python reference client (`mcp` on PyPI).
@Suite(.tags(.e2e), .timeLimit(.minutes(5))) struct MCPReferenceClientTests {
    @Test func thePythonReferenceClientInitializesListsToolsChecksAndClaimsWritesAndReleases() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 2)
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Fixtures/mcp/reference_client.py").path
            let result = try await ProcessRunner.run(
                ProcessSpec(
                    executable: "python3", arguments: [script, StomperBinary.path, repo.root],
                    environment: ["STOMPER_DOCS_ENABLED": "false", "STOMPER_CI": "0"], timeout: .seconds(180)))
            #expect(result.exitCode == 0, "\(result.stdoutText)\n\(result.stderrText)")
            let lines = result.stdoutText.split(separator: "\n")
            let facts = try #require(
                lines.last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] },
                "\(result.stdoutText) \(result.stderrText)")
            #expect(facts["server"] as? String == "stomper")
            #expect((facts["tools"] as? [String]).map(Set.init) == MCPServerTests.toolNames)
            #expect(facts["check_files"] as? Int == 2)
            #expect(facts["written"] as? String == "value = 1\n")
            #expect(facts["after_release"] as? String == "NotHeld")
            #expect(try String(contentsOfFile: repo.root + "/notes.txt", encoding: .utf8) == "value = 1\n")
        }
    }
}
