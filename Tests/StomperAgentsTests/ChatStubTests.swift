import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import StomperChatStub
import Testing

@Suite struct ChatStubTests {
    struct Answer {
        var status: Int
        var headers: [String: String]
        var json: [String: Any]
        var content: String? {
            ((json["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String
        }
    }

    static func call(_ url: String, method: String = "POST", body: [String: Any]? = nil, key: String? = nil) async throws -> Answer {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        if let body { request.httpBody = try JSONSerialization.data(withJSONObject: body) }
        if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var headers: [String: String] = [:]
        for case (let name as String, let value as String) in http.allHeaderFields { headers[name.lowercased()] = value }
        return Answer(status: http.statusCode, headers: headers, json: try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:])
    }

    static func chat(_ user: String, stream: Bool = false) -> [String: Any] {
        ["model": "m", "stream": stream, "max_tokens": 64, "messages": [["role": "system", "content": "fix"], ["role": "user", "content": user]]]
    }

    static let prompt = "Fix it.\n  ```\n  1> import os\n  ```\nThe file:\n```\nimport os\nx  = 1\n```\n"

    @Test func servesModelsAndRefusesStreamingWithoutUsingAReply() async throws {
        try await ChatStubServer.withServer(script: ChatStubScript(replies: [.notAFile])) { stub in
            let models = try await Self.call(stub.baseURL + "/models", method: "GET")
            #expect(models.status == 200 && (models.json["data"] as? [[String: Any]])?.first?["id"] as? String == "stub-model")
            let streaming = try await Self.call(stub.baseURL + "/chat/completions", body: Self.chat(Self.prompt, stream: true))
            #expect(streaming.status == 400)
            let next = try await Self.call(stub.baseURL + "/chat/completions", body: Self.chat(Self.prompt))
            #expect(next.status == 200 && next.content?.contains("```") == false)
            #expect(try await Self.call(stub.baseURL + "/nowhere").status == 404)
        }
    }

    @Test func aGoodReplyEditsTheLastBlockAndIsRecorded() async throws {
        let script = ChatStubScript(edits: [.deleteLines(containing: "import os"), .replace("x  = 1", with: "x = 1")])
        try await ChatStubServer.withServer(script: script) { stub in
            let answer = try await Self.call(stub.baseURL + "/chat/completions", body: Self.chat(Self.prompt), key: "sk-abc")
            #expect(answer.status == 200)
            #expect(answer.content == "Here is the corrected file.\n\n```python\nx = 1\n```\n")
            let choice = (answer.json["choices"] as? [[String: Any]])?.first
            #expect(choice?["finish_reason"] as? String == "stop")
            let recorded = try #require(stub.requests.first)
            #expect(recorded.authorization == "Bearer sk-abc" && recorded.reply == .good)
            #expect(recorded.chat?.maxTokens == 64 && recorded.chat?.stream == false && recorded.chat?.messages.count == 2)
            let usage = answer.json["usage"] as? [String: Int]
            #expect(usage?["prompt_tokens"] == recorded.usage?.promptTokens && usage?["completion_tokens"] == recorded.usage?.completionTokens)
        }
    }

    @Test func repliesComeInScriptOrderThenTheDefault() async throws {
        let script = ChatStubScript(replies: [.rateLimited(retryAfter: 3), .serverError, .unauthorized, .truncated], fallback: .elided)
        try await ChatStubServer.withServer(script: script) { stub in
            var answers: [Answer] = []
            for _ in 0..<6 { answers.append(try await Self.call(stub.baseURL + "/chat/completions", body: Self.chat(Self.prompt))) }
            #expect(answers.map(\.status) == [429, 500, 401, 200, 200, 200])
            #expect(answers[0].headers["retry-after"] == "3")
            #expect((answers[2].json["error"] as? [String: Any])?["code"] as? String == "invalid_api_key")
            #expect(answers[3].content == "```python\nimport os" && answers[4].content?.contains("# ... rest of the file unchanged") == true)
            #expect(stub.requests.compactMap(\.reply) == script.replies + [.elided, .elided])
        }
    }

    @Test func theScriptFormatDecodesAsDocumented() throws {
        let json = #"""
            {"replies": ["rateLimited", {"rateLimited": 2}, "serverError", {"slow": 3000}, "good"], "default": "notAFile",
             "edits": [{"delete": "import os"}, {"replace": "x  = 1", "with": "x = 1"}]}
            """#
        let script = try JSONDecoder().decode(ChatStubScript.self, from: Data(json.utf8))
        #expect(script == ChatStubScript(replies: [.rateLimited(retryAfter: nil), .rateLimited(retryAfter: 2), .serverError, .slow(milliseconds: 3000), .good],
                                         fallback: .notAFile, edits: [.deleteLines(containing: "import os"), .replace("x  = 1", with: "x = 1")]))
        #expect(try JSONDecoder().decode(ChatStubScript.self, from: JSONEncoder().encode(script)) == script)
        #expect(try JSONDecoder().decode(ChatStubScript.self, from: Data("{}".utf8)) == ChatStubScript())
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ChatStubScript.self, from: Data(#"{"replies":["fine"]}"#.utf8)) }
    }

    @Test func stopCutsSlowRepliesShortAndRefusesNewConnections() async throws {
        let (arrivals, arrived) = AsyncStream.makeStream(of: ChatStubRequest.self)
        let stub = try ChatStubServer(script: ChatStubScript(replies: [.slow(milliseconds: 60_000)])) { arrived.yield($0) }
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await #expect(throws: (any Error).self) { try await Self.call(stub.baseURL + "/chat/completions", body: Self.chat(Self.prompt)) }
            }
            var iterator = arrivals.makeAsyncIterator()
            #expect(await iterator.next()?.reply == .slow(milliseconds: 60_000))
            stub.stop()
            try await group.waitForAll()
        }
        #expect(ContinuousClock.now - start < .seconds(30))
        await #expect(throws: URLError.self) { try await Self.call(stub.baseURL + "/models", method: "GET") }
    }

    @Test func theExecutableServesAScript() async throws {
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var binary: String?
        for _ in 0..<4 where binary == nil {
            let candidate = folder.appendingPathComponent("stomper-chat-stub").path
            if FileManager.default.isExecutableFile(atPath: candidate) { binary = candidate }
            folder = folder.deletingLastPathComponent()
        }
        let path = try #require(binary, "build stomper-chat-stub first (swift build --build-tests builds it)")
        let scriptFile = NSTemporaryDirectory() + "/chat-stub-\(UUID().uuidString).json"
        try Data(#"{"replies": ["serverError"], "edits": [{"delete": "import os"}]}"#.utf8).write(to: URL(fileURLWithPath: scriptFile))
        defer { try? FileManager.default.removeItem(atPath: scriptFile) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--port", "0", "--script", scriptFile]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            line += chunk
        }
        let text = String(decoding: line, as: UTF8.self)
        let port = try #require(text.firstMatch(of: /listening on 127\.0\.0\.1:(\d+)\n/)?.output.1)
        let base = "http://127.0.0.1:\(port)/v1/chat/completions"
        #expect(try await Self.call(base, body: Self.chat(Self.prompt)).status == 500)
        #expect(try await Self.call(base, body: Self.chat(Self.prompt)).content == "Here is the corrected file.\n\n```python\nx  = 1\n```\n")
    }
}
