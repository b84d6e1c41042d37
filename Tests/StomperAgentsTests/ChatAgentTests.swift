import Foundation
import StomperAgents
import StomperChatStub
import StomperQuality
import StomperTestSupport
import Synchronization
import Testing
#if canImport(Glibc)
    import Glibc
#endif

/// Records the waits asked of it instead of waiting.
final class RecordedSleeps: Sendable {
    private let waits = Mutex<[Duration]>([])
    var all: [Duration] { waits.withLock { $0 } }
    func sleep(_ duration: Duration) async throws { waits.withLock { $0.append(duration) } }
}

/// A port nobody listens on: bound, read, closed.
func unusedPort() -> UInt16 {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = in_addr_t(0x7f00_0001).bigEndian
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(descriptor, pointer, length) == 0 ? getsockname(descriptor, pointer, &length) : -1
        }
    }
    return UInt16(bigEndian: address.sin_port)
}

@Suite(.tags(.unit)) struct ChatAgentTests {
    static let source = "import os\nimport sys\n\n\ndef main():\n    print(sys.argv)\n"
    static let fixed = "import sys\n\n\ndef main():\n    print(sys.argv)\n"
    static let key = "sk-test-0123456789"
    static let script = ChatStubScript(edits: [.deleteLines(containing: "import os")])

    func request(_ dir: String, timeout: Duration = .seconds(30)) -> FixRequest {
        FixRequest(
            worktree: dir, path: "a.py",
            diagnostics: [Diagnostic(tool: "ruff", path: "a.py", line: 1, column: 8, code: "F401", message: "`os` imported but unused")],
            timeout: timeout, scratchDirectory: dir + "/.scratch")
    }

    func settings(_ stub: ChatStubServer, _ change: (inout ChatSettings) -> Void = { _ in }) -> ChatSettings {
        var settings = ChatSettings(baseURL: stub.baseURL, model: "stub-model", apiKeyVariable: "STUB_API_KEY", maxTokens: 2048)
        change(&settings)
        return settings
    }

    /// Writes the sample, runs one attempt against a fresh stub, returns the outcome, the file
    /// afterwards and the stub's requests.
    func attempt(
        _ script: ChatStubScript = script, key: String? = key, timeout: Duration = .seconds(30),
        sleeps: RecordedSleeps = RecordedSleeps(), jitter: Double = 1,
        _ change: (inout ChatSettings) -> Void = { _ in }
    ) async throws -> (AgentOutcome, String, [ChatStubRequest]) {
        try await withTemporaryDirectory { dir in
            try Data(Self.source.utf8).write(to: URL(fileURLWithPath: dir + "/a.py"))
            return try await ChatStubServer.withServer(script: script) { stub in
                let agent = try ChatAgent(settings: settings(stub, change), apiKey: key, sleep: sleeps.sleep, random: { jitter })
                let outcome = try await agent.fix(request(dir, timeout: timeout))
                return (outcome, try String(contentsOfFile: dir + "/a.py", encoding: .utf8), stub.requests)
            }
        }
    }

    @Test func fixesTheFileOverHTTPAndRecordsUsage() async throws {
        let (outcome, file, requests) = try await attempt()
        #expect(outcome.status == .completed)
        #expect(file == Self.fixed)
        #expect(outcome.calls == 1)
        let sent = try #require(requests.first)
        let usage = try #require(sent.usage)
        #expect(usage.promptTokens > 0 && usage.completionTokens > 0)
        #expect(outcome.usage == AgentUsage(inputTokens: usage.promptTokens, outputTokens: usage.completionTokens))
        #expect(sent.path == "/v1/chat/completions")
        #expect(sent.authorization == "Bearer \(Self.key)")
        let body = try #require(sent.chat)
        #expect(body.model == "stub-model" && body.stream == false && body.temperature == 0)
        #expect(body.maxTokens == 2048 && body.maxCompletionTokens == nil)
        #expect(body.messages.map(\.role) == ["system", "user"])
        #expect(body.messages[1].content?.contains("F401") == true)
        #expect(!outcome.output.contains(Self.key))
    }

    /// A project's template replaces the user message (and changes the agent's identity).
    @Test func aProjectTemplateShapesTheUserMessage() async throws {
        let template = try PromptTemplate(text: "PROJECT RULES for {{path}}\n{{diagnostics}}\n{{file}}\n")
        try await withTemporaryDirectory { dir in
            try Data(Self.source.utf8).write(to: URL(fileURLWithPath: dir + "/a.py"))
            try await ChatStubServer.withServer(script: Self.script) { stub in
                let agent = try ChatAgent(settings: settings(stub), apiKey: Self.key, userTemplate: template)
                #expect(agent.identity != (try ChatAgent(settings: settings(stub), apiKey: Self.key)).identity)
                let outcome = try await agent.fix(request(dir))
                #expect(outcome.status == .completed)
                let user = try #require(stub.requests.first?.chat?.messages.last?.content)
                #expect(user.hasPrefix("PROJECT RULES for a.py") && user.contains("F401") && user.contains("print(sys.argv)"))
                #expect(try String(contentsOfFile: dir + "/a.py", encoding: .utf8) == Self.fixed)
            }
        }
    }

    @Test func sendsTheConfiguredTokenFieldAndNoKeyOrTemperatureWhenUnset() async throws {
        let (outcome, _, requests) = try await attempt(key: nil) { settings in
            settings.baseURL += "/"
            settings.apiKeyVariable = nil
            settings.temperature = nil
            settings.maxTokens = 100
            settings.maxTokensField = .maxCompletionTokens
        }
        #expect(outcome.status == .completed)
        let sent = try #require(requests.first)
        #expect(sent.authorization == nil)
        #expect(sent.chat?.maxCompletionTokens == 100 && sent.chat?.maxTokens == nil && sent.chat?.temperature == nil)
    }

    @Test(arguments: [
        (ChatStubReply.truncated, ChatReply.Refusal.truncated), (.nullContent, .nullContent), (.empty, .emptyContent),
        (.notAFile, .noCodeBlock), (.elided, .elided(line: "# ... rest of the file unchanged")),
    ])
    func refusesUnusableRepliesAndLeavesTheFile(reply: ChatStubReply, refusal: ChatReply.Refusal) async throws {
        let (outcome, file, requests) = try await attempt(ChatStubScript(replies: [reply], edits: Self.script.edits))
        #expect(outcome.status == .failed(reason: refusal.description))
        #expect(file == Self.source)
        #expect(outcome.calls == 1 && requests.count == 1)
        #expect(outcome.usage != nil)
    }

    @Test func truncationAsksToRaiseMaxTokens() {
        #expect(ChatReply.Refusal.truncated.description.contains("agent.chat.max_tokens"))
    }

    @Test func aRefusedKeyIsUnavailableAndNamesTheVariableNotTheKey() async throws {
        let (outcome, file, requests) = try await attempt(ChatStubScript(replies: [.unauthorized]))
        guard case .unavailable(let reason) = outcome.status else { Issue.record("got \(outcome.status)"); return }
        #expect(reason.contains("HTTP 401") && reason.contains("$STUB_API_KEY"))
        #expect(!reason.contains(Self.key) && !outcome.output.contains(Self.key))
        #expect(file == Self.source)
        #expect(outcome.calls == 1 && requests.count == 1)
    }

    @Test func retriesARateLimitAfterItsRetryAfter() async throws {
        let sleeps = RecordedSleeps()
        let (outcome, file, requests) = try await attempt(
            ChatStubScript(replies: [.rateLimited(retryAfter: 2)], edits: Self.script.edits), sleeps: sleeps)
        #expect(outcome.status == .completed)
        #expect(file == Self.fixed)
        #expect(outcome.calls == 2 && requests.map(\.status) == [429, 200])
        #expect(sleeps.all == [.seconds(2)])
    }

    @Test func repeatedServerErrorsAreUnavailableAfterTheRetries() async throws {
        let sleeps = RecordedSleeps()
        let (outcome, file, requests) = try await attempt(ChatStubScript(fallback: .serverError), sleeps: sleeps, jitter: 0.5) {
            $0.maxRetries = 3
            $0.retryBaseDelayMilliseconds = 400
        }
        guard case .unavailable(let reason) = outcome.status else { Issue.record("got \(outcome.status)"); return }
        #expect(reason.contains("HTTP 500") && reason.contains("4 calls"))
        #expect(outcome.calls == 4 && requests.count == 4)
        // Full jitter at a draw of 0.5: half of 400, 800, 1600 ms.
        #expect(sleeps.all == [.milliseconds(200), .milliseconds(400), .milliseconds(800)])
        #expect(file == Self.source)
    }

    @Test func otherClientErrorsFailWithTheServersMessage() async throws {
        let (outcome, file, _) = try await attempt(ChatStubScript(replies: [.modelNotFound]))
        #expect(outcome.status == .failed(reason: "the chat endpoint answered HTTP 404: model 'stub-model' not found"))
        #expect(outcome.calls == 1 && file == Self.source)
    }

    /// `--parallel 16` with the chat agent has 16 requests in flight at once, not the 6
    /// connections per host URLSession allows by default: the stub sees all 16 while none has
    /// been answered (its replies wait until the server stops).
    @Test func sixteenAttemptsAreInFlightAtOnce() async throws {
        try await withTemporaryDirectory { dir in
            let arrived = Mutex(0)
            let stub = try ChatStubServer(script: ChatStubScript(fallback: .slow(milliseconds: 600_000))) { _ in
                arrived.withLock { $0 += 1 }
            }
            let agent = try ChatAgent(settings: settings(stub) { $0.maxRetries = 0 }, apiKey: Self.key)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<16 {
                    let folder = dir + "/\(index)"
                    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                    try Data(Self.source.utf8).write(to: URL(fileURLWithPath: folder + "/a.py"))
                    group.addTask { _ = try await agent.fix(request(folder, timeout: .seconds(600))) }
                }
                try await waitUntil("16 requests at the stub", timeout: .seconds(60)) { arrived.withLock { $0 } == 16 }
                #expect(stub.requests.count == 16)
                // Stopping the server cuts the waiting replies short: every attempt ends.
                stub.stop()
                try await group.waitForAll()
            }
        }
    }

    @Test func aSlowReplyTimesOutWithoutWaitingForIt() async throws {
        let start = ContinuousClock.now
        let (outcome, file, _) = try await attempt(ChatStubScript(replies: [.slow(milliseconds: 20_000)]), timeout: .milliseconds(300))
        #expect(outcome.status == .timedOut(after: .milliseconds(300)) && outcome.calls == 1)
        #expect(file == Self.source)
        // The settings' timeout bounds the attempt too.
        let (bySettings, _, _) = try await attempt(ChatStubScript(replies: [.slow(milliseconds: 20_000)])) { $0.timeoutSeconds = 0.3 }
        #expect(bySettings.status == .timedOut(after: .milliseconds(300)))
        #expect(ContinuousClock.now - start < .seconds(10))
    }

    @Test func connectionRefusedIsUnavailable() async throws {
        try await withTemporaryDirectory { dir in
            try Data(Self.source.utf8).write(to: URL(fileURLWithPath: dir + "/a.py"))
            let settings = ChatSettings(baseURL: "http://127.0.0.1:\(unusedPort())/v1", model: "m")
            let outcome = try await ChatAgent(settings: settings, apiKey: nil).fix(request(dir))
            guard case .unavailable(let reason) = outcome.status else { Issue.record("got \(outcome.status)"); return }
            #expect(reason.contains("cannot reach the chat endpoint 127.0.0.1"))
            #expect(outcome.calls == 1)
            #expect(try String(contentsOfFile: dir + "/a.py", encoding: .utf8) == Self.source)
        }
    }

    @Test func aMissingKeyIsUnavailableWithoutACall() async throws {
        let (outcome, _, requests) = try await attempt(key: "")
        #expect(outcome.status == .unavailable(reason: "the API key variable $STUB_API_KEY is not set or empty"))
        #expect(outcome.calls == 0 && requests.isEmpty)
    }

    @Test func identityHoldsEverySettingButTheKey() throws {
        let settings = ChatSettings(baseURL: "http://127.0.0.1:1/v1", model: "qwen", apiKeyVariable: "K")
        let one = try ChatAgent(settings: settings, apiKey: "secret-one")
        let two = try ChatAgent(settings: settings, apiKey: "secret-two")
        #expect(one.identity == two.identity)
        #expect(one.identity.kind == "chat" && one.identity.name == "qwen")
        #expect(!one.identity.settings.contains("secret") && !"\(one)".contains("secret"))
        var changed = settings
        changed.maxTokens = 10
        #expect(try ChatAgent(settings: changed, apiKey: nil).identity != one.identity)
    }

    @Test func rejectsUnusableSettings() {
        #expect(throws: AgentError.self) { try ChatAgent(settings: ChatSettings(baseURL: "127.0.0.1:11434", model: "m"), apiKey: nil) }
        #expect(throws: AgentError.self) { try ChatAgent(settings: ChatSettings(baseURL: "http://h/v1", model: " "), apiKey: nil) }
        #expect(throws: AgentError.self) { try ChatAgent(settings: ChatSettings(baseURL: "http://h/v1", model: "m", maxRetries: -1), apiKey: nil) }
    }

    @Test func settingsDecodeWithDefaults() throws {
        let plain = try JSONDecoder().decode(ChatSettings.self, from: Data(#"{"base_url":"http://h/v1","model":"m"}"#.utf8))
        #expect(plain == ChatSettings(baseURL: "http://h/v1", model: "m"))
        let custom = try JSONDecoder().decode(
            ChatSettings.self,
            from: Data(
                #"{"base_url":"u","model":"m","temperature":null,"max_tokens_field":"max_completion_tokens","max_retries":1}"#.utf8))
        #expect(custom.temperature == nil && custom.maxTokensField == .maxCompletionTokens && custom.maxRetries == 1)
        #expect(try JSONDecoder().decode(ChatSettings.self, from: Data("{}".utf8)) == ChatSettings())
        #expect(throws: AgentError.self) { try ChatAgent(settings: ChatSettings(), apiKey: nil) }
    }
}

@Suite(.tags(.unit)) struct BackoffTests {
    let backoff = Backoff(base: .milliseconds(500), cap: .seconds(4))

    @Test func ceilingDoublesUpToTheCap() {
        #expect((1...5).map(backoff.ceiling(forRetry:)) == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(4)])
        #expect(backoff.ceiling(forRetry: 1000) == .seconds(4))
        #expect(backoff.ceiling(forRetry: 0) == .milliseconds(500))
    }

    @Test func fullJitterSpansZeroToTheCeiling() {
        #expect(backoff.delay(forRetry: 3, unit: 0) == .zero)
        #expect(backoff.delay(forRetry: 3, unit: 0.25) == .milliseconds(500))
        #expect(backoff.delay(forRetry: 3, unit: 1) == .seconds(2))
        #expect(backoff.delay(forRetry: 3, unit: 7) == .seconds(2) && backoff.delay(forRetry: 3, unit: -1) == .zero)
        var generator = SeededGenerator(state: 42)
        let draws = (0..<500).map { _ in backoff.delay(forRetry: 2, using: &generator) }
        #expect(draws.allSatisfy { $0 >= .zero && $0 <= .seconds(1) })
        // Spread over the whole range, not bunched at one end.
        #expect(draws.min()! < .milliseconds(100) && draws.max()! > .milliseconds(900))
    }

    @Test func retryAfterReplacesTheDrawUpToTheCap() {
        #expect(backoff.delay(forRetry: 1, retryAfter: .seconds(3), unit: 0) == .seconds(3))
        #expect(backoff.delay(forRetry: 1, retryAfter: .seconds(60), unit: 0) == .seconds(4))
    }

    @Test func parsesRetryAfterHeaders() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(Backoff.retryAfter("120") == .seconds(120))
        #expect(Backoff.retryAfter(" 1.5 ") == .milliseconds(1500))
        #expect(Backoff.retryAfter("Tue, 14 Nov 2023 22:13:30 GMT", now: now) == .seconds(10))
        #expect(Backoff.retryAfter("Tue, 14 Nov 2023 22:00:00 GMT", now: now) == .zero)
        #expect(Backoff.retryAfter("soon") == nil && Backoff.retryAfter("-3") == nil)
    }
}

@Suite(.tags(.unit)) struct ChatReplyTests {
    let original = "import os\nimport sys\n\n\ndef main():\n    print(sys.argv)\n"

    func verdict(_ content: String?, original: String? = nil, finish: String = "stop", diagnostics: Int = 1) -> ChatReply.Verdict {
        ChatReply(content: content, finishReason: finish).verdict(original: original ?? self.original, diagnosticCount: diagnostics)
    }

    @Test func takesTheLongestBlockAndKeepsTheFilesLineEndings() {
        let reply = "Removed the import.\n```\nx\n```\n\n```python\nimport sys\n\ndef main():\n    ...\n\n```\nDone."
        #expect(verdict(reply) == .file("import sys\n\ndef main():\n    ...\n"))
        #expect(verdict(reply, original: "import os") == .file("import sys\n\ndef main():\n    ..."))  // no final newline
        #expect(verdict("~~~~\r\na = 1\r\n```\r\n~~~~\r\n", original: "a  = 1\r\n") == .file("a = 1\r\n```\r\n"))
    }

    @Test func refusesWhatIsNotAWholeFile() {
        #expect(verdict("```python\nimport sys\n", finish: "length") == .refused(.truncated))
        #expect(verdict("```python\nimport sys\n") == .refused(.unclosedCodeBlock))
        #expect(verdict(nil) == .refused(.nullContent) && verdict(" \n") == .refused(.emptyContent))
        #expect(verdict("I fixed it.") == .refused(.noCodeBlock))
        #expect(verdict("x", finish: "content_filter") == .refused(.contentFiltered))
        for marker in ["# ... rest of the file unchanged", "    # ...", "// …", "# existing code here", "# (other functions omitted ...)"] {
            #expect(verdict("```\nimport sys\n\(marker)\n```") == .refused(.elided(line: marker.trimmingCharacters(in: .whitespaces))))
        }
    }

    @Test func neverTripsOnCodeThatLooksLikeAMarker() {
        // Python's Ellipsis, a marker-like comment the original already has, ordinary comments.
        let original = "class P:\n    def f(self): ...\n    # ... existing code\n"
        let reply = "```\nclass P:\n    def f(self) -> None:\n        ...\n    # ... existing code\n    # keep the API unchanged\n```"
        #expect(
            verdict(reply, original: original)
                == .file("class P:\n    def f(self) -> None:\n        ...\n    # ... existing code\n    # keep the API unchanged\n"))
    }

    @Test func refusesOnlyDrasticLoss() {
        let small = (1...10).map { "import m\($0)" }.joined(separator: "\n") + "\n"
        #expect(verdict("```\nx = 1\n```", original: small) == .file("x = 1\n"))
        let large = (1...40).map { "v\($0) = \($0)" }.joined(separator: "\n") + "\n"
        let quarter = "```\n" + (1...10).map { "v\($0) = \($0)" }.joined(separator: "\n") + "\n```"
        #expect(verdict(quarter, original: large) == .refused(.tooShort(originalLines: 40, replyLines: 10)))
        #expect(verdict(quarter, original: large, diagnostics: 10) == .file(String(quarter.dropFirst(4).dropLast(3))))
        let half = "```\n" + (1...20).map { "v\($0) = \($0)" }.joined(separator: "\n") + "\n```"
        #expect(verdict(half, original: large) == .file(String(half.dropFirst(4).dropLast(3))))
    }

    @Test func decodesCompletionsLeniently() throws {
        let parts = try #require(
            ChatReply(
                json: Data(
                    #"""
                    {"choices":[{"message":{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},"finish_reason":"stop"}],
                     "usage":{"prompt_tokens":3,"completion_tokens":"many"}}
                    """#.utf8)))
        #expect(parts == ChatReply(content: "ab", finishReason: "stop", usage: AgentUsage(inputTokens: 3)))
        let ollama = try #require(ChatReply(json: Data(#"{"message":{"role":"assistant","content":"hi"},"done":true,"done_reason":"length"}"#.utf8)))
        #expect(ollama == ChatReply(content: "hi", finishReason: "length"))
        #expect(ChatReply(json: Data(#"{"choices":[{"message":{"content":null}}]}"#.utf8)) == ChatReply(content: nil, finishReason: nil))
        #expect(ChatReply(json: Data("<html>busy</html>".utf8)) == nil && ChatReply(json: Data(#"{"object":"list"}"#.utf8)) == nil)
    }
}
