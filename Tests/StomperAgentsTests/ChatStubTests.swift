import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
import StomperChatStub
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct ChatStubTests {
    struct Answer {
        var status: Int
        var headers: [String: String]
        var json: [String: Any]
        var content: String? {
            ((json["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String
        }
    }

    static func call(_ url: String, method: String = "POST", body: [String: Any]? = nil, key: String? = nil) async throws -> Answer {
        let (status, headers, data) = try await raw(url, method: method, body: body, key: key)
        return Answer(status: status, headers: headers, json: try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:])
    }

    static func raw(
        _ url: String, method: String = "POST", body: [String: Any]? = nil,
        key: String? = nil
    ) async throws -> (Int, [String: String], Data) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        if let body { request.httpBody = try JSONSerialization.data(withJSONObject: body) }
        if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var headers: [String: String] = [:]
        for case (let name as String, let value as String) in http.allHeaderFields { headers[name.lowercased()] = value }
        return (http.statusCode, headers, data)
    }

    /// A streamed answer: its events' JSON objects in order, and whether it ended with `data: [DONE]`.
    static func events(_ data: Data) throws -> (chunks: [[String: Any]], done: Bool) {
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.hasSuffix("\n\n"), "every event ends with a blank line")
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.allSatisfy { $0.hasPrefix("data: ") }, "\(lines)")
        let payloads = lines.map { String($0.dropFirst("data: ".count)) }
        let chunks = try payloads.filter { $0 != "[DONE]" }.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        return (chunks, payloads.last == "[DONE]" && payloads.filter { $0 == "[DONE]" }.count == 1)
    }

    /// What a streaming client rebuilds: the deltas' content joined, and the finish reason.
    static func assemble(_ chunks: [[String: Any]]) -> (content: String, finishReason: String?, role: String?) {
        var content = ""
        var finish: String?
        var role: String?
        for chunk in chunks {
            for choice in chunk["choices"] as? [[String: Any]] ?? [] {
                let delta = choice["delta"] as? [String: Any]
                content += delta?["content"] as? String ?? ""
                role = role ?? delta?["role"] as? String
                finish = choice["finish_reason"] as? String ?? finish
            }
        }
        return (content, finish, role)
    }

    static func chat(_ user: String, stream: Bool = false) -> [String: Any] {
        ["model": "m", "stream": stream, "max_tokens": 64, "messages": [["role": "system", "content": "fix"], ["role": "user", "content": user]]]
    }

    static let prompt = "Fix it.\n  ```\n  1> import os\n  ```\nThe file:\n```\nimport os\nx  = 1\n```\n"

    @Test func servesModelsAndAnswersOtherRoutes404() async throws {
        try await ChatStubServer.withServer(script: ChatStubScript(replies: [.notAFile])) { stub in
            let models = try await Self.call(stub.baseURL + "/models", method: "GET")
            #expect(models.status == 200 && (models.json["data"] as? [[String: Any]])?.first?["id"] as? String == "stub-model")
            let next = try await Self.call(stub.baseURL + "/chat/completions", body: Self.chat(Self.prompt))
            #expect(next.status == 200 && next.content?.contains("```") == false)
            #expect(try await Self.call(stub.baseURL + "/nowhere").status == 404)
            #expect(stub.requests.map(\.path) == ["/v1/models", "/v1/chat/completions", "/v1/nowhere"])
        }
    }

    /// `"stream": true` gets server-sent events, chunked, that a client assembles into exactly the
    /// content the same script gives unstreamed; `stream_options.include_usage` adds the usage
    /// chunk; a truncated reply streams `finish_reason: "length"`; errors stay plain JSON.
    @Test func aStreamedReplyAssemblesIntoTheUnstreamedContent() async throws {
        let script = ChatStubScript(
            replies: [.good, .good, .truncated, .unauthorized],
            edits: [.deleteLines(containing: "import os"), .replace("x  = 1", with: "x = 1")])
        try await ChatStubServer.withServer(script: script) { stub in
            let url = stub.baseURL + "/chat/completions"
            let plain = try await Self.call(url, body: Self.chat(Self.prompt))
            var body = Self.chat(Self.prompt, stream: true)
            body["stream_options"] = ["include_usage": true]
            let (status, headers, data) = try await Self.raw(url, body: body)
            #expect(status == 200)
            #expect(headers["content-type"] == "text/event-stream")
            #expect(headers["transfer-encoding"]?.lowercased() == "chunked" && headers["content-length"] == nil)
            let (chunks, done) = try Self.events(data)
            #expect(done)
            #expect(chunks.allSatisfy { $0["object"] as? String == "chat.completion.chunk" && $0["model"] as? String == "m" })
            let assembled = Self.assemble(chunks)
            #expect(assembled.content == plain.content && assembled.content == "Here is the corrected file.\n\n```python\nx = 1\n```\n")
            #expect(assembled.finishReason == "stop" && assembled.role == "assistant")
            #expect(chunks.count > 3, "the content comes in several pieces")
            let usage = try #require(chunks.last?["usage"] as? [String: Int])
            #expect((chunks.last?["choices"] as? [Any])?.isEmpty == true)
            #expect(usage["completion_tokens"] == stub.requests.last?.usage?.completionTokens)
            #expect(stub.requests.last?.chat?.stream == true && stub.requests.last?.chat?.includeUsage == true)

            let (_, _, truncated) = try await Self.raw(url, body: Self.chat(Self.prompt, stream: true))
            let cut = Self.assemble(try Self.events(truncated).chunks)
            #expect(cut.finishReason == "length" && cut.content == "```python\n")
            #expect(try Self.events(truncated).chunks.allSatisfy { $0["usage"] == nil }, "usage only when asked for")

            let refused = try await Self.call(url, body: Self.chat(Self.prompt, stream: true))
            #expect(refused.status == 401 && (refused.json["error"] as? [String: Any])?["code"] as? String == "invalid_api_key")
        }
    }

    /// With `file`, the stub finds the file where aider puts it (its name on a line, then the block,
    /// in an earlier user message), not in the blocks of aider's format reminder, and answers in
    /// aider's whole-file format, streamed or not.
    @Test func aNamedFileIsFoundInAnEarlierMessageAndAnsweredInWholeFormat() async throws {
        let script = ChatStubScript(
            edits: [.replace("l = 1", with: "length = 1"), .replace("print(l)", with: "print(length)")],
            file: "bad.py")
        try await ChatStubServer.withServer(script: script) { stub in
            var messages: [[String: String]] = [
                ["role": "system", "content": "Every *file listing* MUST use this format:\npath/to/file.py\n```\ncode\n```\n"],
                ["role": "user", "content": "I have *added these files to the chat*.\n\nbad.py\n```\nl = 1\nprint(l)\n```\n"],
                ["role": "assistant", "content": "Ok.\n\nbad.py\n```\nstale\n```\n"],
                ["role": "user", "content": "Fix E741.\n\nReply with a *file listing*:\npath/to/file.py\n```\ncode\n```\n"],
            ]
            let expected = "bad.py\n```python\nlength = 1\nprint(length)\n```\n"
            let (_, _, data) = try await Self.raw(stub.baseURL + "/chat/completions", body: ["model": "m", "stream": true, "messages": messages])
            #expect(Self.assemble(try Self.events(data).chunks).content == expected)
            #expect(try await Self.call(stub.baseURL + "/chat/completions", body: ["model": "m", "messages": messages]).content == expected)
            messages[1]["content"] = "no file here"
            let missing = try await Self.call(stub.baseURL + "/chat/completions", body: ["model": "m", "messages": messages])
            #expect(missing.status == 400)
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
             "edits": [{"delete": "import os"}, {"replace": "x  = 1", "with": "x = 1"}], "file": "bad.py"}
            """#
        let script = try JSONDecoder().decode(ChatStubScript.self, from: Data(json.utf8))
        #expect(
            script
                == ChatStubScript(
                    replies: [.rateLimited(retryAfter: nil), .rateLimited(retryAfter: 2), .serverError, .slow(milliseconds: 3000), .good],
                    fallback: .notAFile, edits: [.deleteLines(containing: "import os"), .replace("x  = 1", with: "x = 1")],
                    file: "bad.py"))
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
