import Foundation
import StomperChatStub
import StomperProcess
import StomperTestSupport
import Testing

/// The `aider` preset run for real: the pinned aider CLI (`AiderInstallation`) through
/// `stomper fix --agent aider`, against the chat stub on 127.0.0.1, streaming.
///
/// The stub is also every process's HTTP and HTTPS proxy (loopback excepted), so anything aider
/// tries to reach beyond the model endpoint (a link to scrape, PyPI for an install, GitHub for a
/// price list, PostHog) arrives there as a `CONNECT host:443` that is recorded and refused.
/// HOME is a fresh folder, so what aider writes for itself is seen and stays out of the user's.
@Suite(.tags(.e2e, .slow), .serialized, .timeLimit(.minutes(30))) struct AiderEndToEndTests {
    /// What one run left behind.
    struct Run {
        var result: ProcessResult
        var requests: [ChatStubRequest]
        /// Files under HOME after the run, relative to it.
        var homeFiles: [String]
    }

    /// A repository with one file ruff cannot fix (E741, F821), a decoy folder beside it and a
    /// HOME for aider; runs stomper with `arguments` against a stub scripted with the fix.
    static func run(
        _ arguments: [String], aider: AiderInstallation, in dir: String,
        environment extra: [String: String?] = [:],
        check: (PythonRepository, Run) async throws -> Void
    ) async throws {
        let repo = try await PythonRepository.create(at: dir + "/repo", unfixable: 1)
        let home = dir + "/home"
        let decoy = dir + "/decoy"
        try GitFixture(root: decoy).write(["notes.txt": "keep me\n", "nested/data.py": "x = 1\n"])
        // Model facts for aider's `openai/stub-model`, so it has no reason to fetch litellm's
        // price list from GitHub; in HOME's .aider, the one folder aider writes.
        try GitFixture(root: home).write([
            ".aider/stub-model.json": #"""
            {"openai/stub-model": {"max_input_tokens": 128000, "max_output_tokens": 8192, "input_cost_per_token": 0,
                                   "output_cost_per_token": 0, "litellm_provider": "openai", "mode": "chat"}}
            """#
        ])
        let stub = try ChatStubServer(
            script: ChatStubScript(
                edits: [
                    .replace("    l = value", with: "    scaled = value"), .replace("return l + missing_name_0", with: "return scaled + value"),
                ], file: "unfixable_0.py"))
        defer { stub.stop() }
        let proxy = "http://127.0.0.1:\(stub.port)"
        var environment: [String: String?] = [
            "HOME": home, "OPENAI_API_BASE": stub.baseURL, "OPENAI_API_KEY": "sk-stomper-aider-test",
            "AIDER_EDIT_FORMAT": "whole", "AIDER_MODEL_METADATA_FILE": home + "/.aider/stub-model.json",
            "HTTP_PROXY": proxy, "HTTPS_PROXY": proxy, "http_proxy": proxy, "https_proxy": proxy, "ALL_PROXY": proxy,
            "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
            "STOMPER_AGENT_EXECUTABLE": aider.aider, "STOMPER_AGENT_TIMEOUT_SEC": "180",
        ]
        environment.merge(extra) { $1 }

        let outside = try Self.checksums([decoy, repo.root + "/.git/config", repo.root + "/.git/hooks"])
        let installed = try await aider.freeze()
        let result = try await repo.stomper(arguments, environment: environment)
        #expect(
            try Self.checksums([decoy, repo.root + "/.git/config", repo.root + "/.git/hooks"]) == outside,
            "nothing outside the worktree changes: the decoy, the repository's config and hooks")
        #expect(try await aider.freeze() == installed, "nothing was installed into aider's environment")
        #expect(try aider.playwrightFiles().isEmpty)
        let homeFiles = (FileManager.default.enumerator(atPath: home)?.allObjects as? [String] ?? [])
            .filter { !Self.isDirectory(home + "/" + $0) }.sorted()
        #expect(!homeFiles.contains { $0.lowercased().contains("playwright") }, "\(homeFiles)")
        try await check(repo, Run(result: result, requests: stub.requests, homeFiles: homeFiles))
    }

    /// The preset fixes the file with one streamed request to the endpoint and nothing else: one
    /// verified commit, ruff clean, no other request (no scraping, no installs, no price list, no
    /// analytics), nothing written outside the worktree but aider's own files in HOME's `.aider`.
    @Test func thePresetLandsAVerifiedFixAndAiderReachesNothingButTheEndpoint() async throws {
        let aider = try await AiderInstallation.prepared()
        try await withTemporaryDirectory { dir in
            try await Self.run(
                ["fix", "--json", "--agent", "aider", "--model", "openai/stub-model", "--max-attempts", "1"],
                aider: aider, in: dir
            ) { repo, run in
                #expect(run.result.exitCode == 0, "\(run.result.stderrText)")
                let outcome = try #require(try repo.outcomes(try repo.report(run.result))["src/pkg/unfixable_0.py"])
                #expect(outcome["status"] as? String == "fixed" && outcome["attempts"] as? Int == 1, "\(outcome)")
                #expect(try await repo.commitCount() == 2)
                #expect(
                    try repo.fixture.read("src/pkg/unfixable_0.py")
                        == "def scale_0(value: int) -> int:\n    scaled = value * 0\n    return scaled + value\n")
                #expect(try await repo.ruffIsClean())
                #expect(try await repo.status().isEmpty, "aider left nothing else in the repository")
                #expect(try await repo.worktreeCount() == 1)

                // Exactly one request, the chat completion, streamed, with the model and key given.
                #expect(run.requests.map { "\($0.method) \($0.path)" } == ["POST /v1/chat/completions"], "\(run.requests.map(\.path))")
                let chat = try #require(run.requests.first?.chat)
                #expect(chat.stream == true && chat.model == "stub-model")
                #expect(run.requests.first?.authorization == "Bearer sk-stomper-aider-test")
                // aider saw stomper's prompt, rule links included, and did not follow them.
                #expect(chat.messages.last?.content?.contains("https://docs.astral.sh/ruff/rules/") == true)

                // What aider wrote for itself (the sandbox must let it write HOME's .aider).
                #expect(
                    Set(run.homeFiles).isSubset(of: [".aider/stub-model.json", ".aider/analytics.json", ".aider/installs.json"]),
                    "\(run.homeFiles)")
            }
        }
    }

    /// The control: aider with the preset's former flags (no `--no-detect-urls`,
    /// `--disable-playwright`, `--no-show-release-notes`…), run as a command agent, offers to read the
    /// rule links of stomper's prompt, says yes, tries to install Playwright and scrapes the links:
    /// the proxy sees it. This is what the preset's flags stop, and shows the harness would notice.
    @Test func theFormerFlagsLetAiderReachForTheRuleLinksAndTheHarnessSeesIt() async throws {
        let aider = try await AiderInstallation.prepared()
        try await withTemporaryDirectory { dir in
            let former = [
                aider.aider, "--message-file", "{prompt_file}", "--yes-always", "--no-auto-commits", "--no-dirty-commits",
                "--no-gitignore", "--no-stream", "--no-pretty", "--no-show-model-warnings", "--no-check-update",
                "--analytics-disable", "--no-auto-lint", "--chat-history-file", "/dev/null", "--input-history-file", "/dev/null",
                "--map-tokens", "0", "--model", "openai/stub-model", "{file}",
            ]
            let command = String(decoding: try JSONSerialization.data(withJSONObject: former), as: UTF8.self)
            // The install attempt must fail whatever the proxy does, so the cached environment stays clean.
            try await Self.run(
                ["fix", "--json", "--agent", "command", "--max-attempts", "1"], aider: aider, in: dir,
                environment: ["STOMPER_AGENT_COMMAND": command, "PIP_NO_INDEX": "1", "BROWSER": "true"]
            ) { _, run in
                let elsewhere = run.requests.filter { $0.method == "CONNECT" }.map(\.path)
                #expect(elsewhere.contains("docs.astral.sh:443"), "aider tried to scrape the rule links: \(elsewhere)")
                #expect(run.requests.contains { $0.path == "/v1/chat/completions" })
            }
        }
    }

    /// The bytes of every file under each path (a file or a folder), by path; links by their target.
    static func checksums(_ paths: [String]) throws -> [String: Data] {
        var contents: [String: Data] = [:]
        func add(_ path: String) throws {
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
                contents[path] = Data(("link:" + target).utf8)
            } else if isDirectory(path) {
                contents[path] = Data("folder".utf8)
                for name in try FileManager.default.contentsOfDirectory(atPath: path) { try add(path + "/" + name) }
            } else {
                contents[path] = try Data(contentsOf: URL(fileURLWithPath: path))
            }
        }
        for path in paths { try add(path) }
        return contents
    }

    static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }
}
