import Foundation

/// What the stub sends back for one request, and the usage it reported.
struct StubResponse {
    var http: HTTPResponse
    var usage: ChatStubUsage?
}

extension ChatStubServer {
    /// Routes a request and renders its scripted reply. Pure apart from taking the next reply.
    func answer(_ request: HTTPRequest, chat: ChatStubRequestBody?) -> (StubResponse, ChatStubReply?) {
        let path = request.path.split(separator: "?").first.map(String.init) ?? request.path
        switch (request.method, path) {
        case ("GET", "/v1/models"):
            return (StubResponse(http: .json(200, #"{"object":"list","data":[{"id":"stub-model","object":"model","owned_by":"stomper"}]}"#)), nil)
        case ("POST", "/v1/chat/completions"):
            guard let chat else {
                return (StubResponse(http: Self.error(400, "stub: the body is not a chat completion request", type: "invalid_request_error")), nil)
            }
            let reply = nextReply()
            return (render(reply, for: chat), reply)
        case (_, "/v1/models"), (_, "/v1/chat/completions"):
            return (StubResponse(http: Self.error(405, "stub: method \(request.method) not allowed", type: "invalid_request_error")), nil)
        default:
            return (StubResponse(http: Self.error(404, "stub: no route for \(request.method) \(path)", type: "invalid_request_error")), nil)
        }
    }

    private func render(_ reply: ChatStubReply, for chat: ChatStubRequestBody) -> StubResponse {
        switch reply {
        case .unauthorized:
            return StubResponse(
                http: Self.error(
                    401, "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
                    type: "invalid_request_error", code: "invalid_api_key"))
        case .rateLimited(let seconds):
            var response = Self.error(429, "Rate limit reached for requests. Please try again later.", type: "requests", code: "rate_limit_exceeded")
            if let seconds { response.headers.append(("Retry-After", String(seconds))) }
            return StubResponse(http: response)
        case .serverError:
            return StubResponse(
                http: Self.error(
                    500, "The server had an error while processing your request. Sorry about that!",
                    type: "server_error"))
        case .modelNotFound:
            return StubResponse(http: .json(404, Self.jsonString(["error": "model '\(chat.model ?? "")' not found"])))
        default:
            break
        }
        let script = self.script
        let file: String?
        if let name = script.file {
            file = chat.messages.reversed().lazy.filter { $0.role == "user" }.compactMap { Self.block(after: name, in: $0.content ?? "") }.first
        } else {
            file = Self.lastCodeBlock(in: chat.messages.last { $0.role == "user" }?.content ?? "")
        }
        guard let file else {
            let wanted =
                script.file.map { "no message has a line `\($0)` followed by a fenced block" }
                ?? "the last user message has no fenced code block"
            return StubResponse(http: Self.error(400, "stub: \(wanted) to edit", type: "invalid_request_error"))
        }
        let edited = script.edits.reduce(file) { $1.apply(to: $0) }
        var lines = edited.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        let content: String?
        var finishReason = "stop"
        switch reply {
        case .truncated:
            content = "```python\n" + lines.prefix(lines.count / 2).joined(separator: "\n")
            finishReason = "length"
        case .nullContent:
            content = nil
        case .empty:
            content = ""
        case .notAFile:
            content = "I removed the unused import and renamed the variable; the rest of the file stays as it is."
        case .elided:
            content =
                "```python\n" + lines.prefix(max(1, lines.count / 3)).joined(separator: "\n")
                + "\n# ... rest of the file unchanged\n```\n"
        default:
            let block = "```python\n" + lines.joined(separator: "\n") + "\n```\n"
            content = script.file.map { "\($0)\n" + block } ?? "Here is the corrected file.\n\n" + block
        }
        let words = { (text: String) in text.split(whereSeparator: \.isWhitespace).count }
        let usage = ChatStubUsage(
            promptTokens: chat.messages.reduce(0) { $0 + words($1.content ?? "") },
            completionTokens: words(content ?? ""))
        let model = chat.model ?? "stub-model"
        let usageObject = [
            "prompt_tokens": usage.promptTokens, "completion_tokens": usage.completionTokens,
            "total_tokens": usage.promptTokens + usage.completionTokens,
        ]
        guard chat.stream == true else {
            let message: [String: Any] = ["role": "assistant", "content": content ?? NSNull(), "refusal": NSNull()]
            let completion: [String: Any] = [
                "id": "chatcmpl-stub", "object": "chat.completion", "created": 1_795_304_344, "model": model,
                "choices": [["index": 0, "message": message, "finish_reason": finishReason, "logprobs": NSNull()]],
                "usage": usageObject,
            ]
            return StubResponse(http: .json(200, Self.jsonString(completion)), usage: usage)
        }
        // Server-sent events as OpenAI sends them: the role, the content a line at a time, the finish
        // reason in a chunk with an empty delta, the usage when `stream_options.include_usage` asked
        // for it, then `[DONE]`.
        func chunk(_ choices: [[String: Any]], usage: [String: Int]? = nil) -> [String: Any] {
            var object: [String: Any] = [
                "id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": 1_795_304_344,
                "model": model, "choices": choices,
            ]
            if let usage { object["usage"] = usage }
            return object
        }
        func delta(_ delta: [String: Any], finish: String? = nil) -> [String: Any] {
            ["index": 0, "delta": delta, "finish_reason": finish ?? NSNull(), "logprobs": NSNull()]
        }
        var events = [chunk([delta(["role": "assistant", "content": ""])])]
        var rest = Substring(content ?? "")
        while !rest.isEmpty {
            let end = rest.firstIndex(of: "\n").map { rest.index(after: $0) } ?? rest.endIndex
            events.append(chunk([delta(["content": String(rest[..<end])])]))
            rest = rest[end...]
        }
        events.append(chunk([delta([:], finish: finishReason)]))
        if chat.includeUsage == true { events.append(chunk([], usage: usageObject)) }
        let data = events.map { Data("data: \(Self.jsonString($0))\n\n".utf8) } + [Data("data: [DONE]\n\n".utf8)]
        return StubResponse(
            http: HTTPResponse(
                status: 200, headers: [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")],
                body: Data(), chunks: data), usage: usage)
    }

    /// The block that follows a line holding exactly `name` (surrounding spaces aside), as aider
    /// lists a file: the name, then a fence, the content and a closing fence. The last in `text`.
    static func block(after name: String, in text: String) -> String? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var found: String?
        var index = 0
        while index + 1 < lines.count {
            defer { index += 1 }
            guard lines[index].trimmingCharacters(in: .whitespaces) == name, lines[index + 1].hasPrefix("```") else { continue }
            guard let close = lines[(index + 2)...].firstIndex(where: { $0.hasPrefix("```") }) else { continue }
            found = lines[(index + 2)..<close].map { $0 + "\n" }.joined()
            index = close
        }
        return found
    }

    /// The content of the last fenced block (a line starting with ``` after optional indentation
    /// opens or closes one); the prompt ends with the whole file in such a block.
    static func lastCodeBlock(in text: String) -> String? {
        var blocks: [[Substring]] = []
        var current: [Substring]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.drop(while: { $0 == " " }).hasPrefix("```") {
                if let block = current {
                    blocks.append(block)
                    current = nil
                } else {
                    current = []
                }
            } else {
                current?.append(line)
            }
        }
        return blocks.last.map { $0.joined(separator: "\n") + "\n" }
    }

    static func error(_ status: Int, _ message: String, type: String, code: String? = nil) -> HTTPResponse {
        let error: [String: Any] = ["message": message, "type": type, "param": NSNull(), "code": code ?? NSNull()]
        return .json(status, jsonString(["error": error]))
    }

    static func jsonString(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
