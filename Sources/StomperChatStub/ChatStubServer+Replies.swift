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
            if chat.stream == true {
                return (StubResponse(http: Self.error(400, "stub: streaming is not supported; send \"stream\": false",
                                                       type: "invalid_request_error")), nil)
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
            return StubResponse(http: Self.error(401, "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
                                                 type: "invalid_request_error", code: "invalid_api_key"))
        case .rateLimited(let seconds):
            var response = Self.error(429, "Rate limit reached for requests. Please try again later.", type: "requests", code: "rate_limit_exceeded")
            if let seconds { response.headers.append(("Retry-After", String(seconds))) }
            return StubResponse(http: response)
        case .serverError:
            return StubResponse(http: Self.error(500, "The server had an error while processing your request. Sorry about that!",
                                                 type: "server_error"))
        case .modelNotFound:
            return StubResponse(http: .json(404, Self.jsonString(["error": "model '\(chat.model ?? "")' not found"])))
        default:
            break
        }
        guard let file = Self.lastCodeBlock(in: chat.messages.last { $0.role == "user" }?.content ?? "") else {
            return StubResponse(http: Self.error(400, "stub: the last user message has no fenced code block to edit",
                                                 type: "invalid_request_error"))
        }
        let edited = edits.reduce(file) { $1.apply(to: $0) }
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
            content = "```python\n" + lines.prefix(max(1, lines.count / 3)).joined(separator: "\n")
                + "\n# ... rest of the file unchanged\n```\n"
        default:
            content = "Here is the corrected file.\n\n```python\n" + lines.joined(separator: "\n") + "\n```\n"
        }
        let words = { (text: String) in text.split(whereSeparator: \.isWhitespace).count }
        let usage = ChatStubUsage(promptTokens: chat.messages.reduce(0) { $0 + words($1.content ?? "") },
                                  completionTokens: words(content ?? ""))
        let message: [String: Any] = ["role": "assistant", "content": content ?? NSNull(), "refusal": NSNull()]
        let completion: [String: Any] = [
            "id": "chatcmpl-stub", "object": "chat.completion", "created": 1_795_304_344, "model": chat.model ?? "stub-model",
            "choices": [["index": 0, "message": message, "finish_reason": finishReason, "logprobs": NSNull()]],
            "usage": ["prompt_tokens": usage.promptTokens, "completion_tokens": usage.completionTokens,
                      "total_tokens": usage.promptTokens + usage.completionTokens],
        ]
        return StubResponse(http: .json(200, Self.jsonString(completion)), usage: usage)
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
