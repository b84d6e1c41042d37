public import Foundation

/// One request the stub received, and what it answered, for tests to assert.
public struct ChatStubRequest: Sendable, Hashable {
    public var method: String
    public var path: String
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: Data
    /// The body decoded as a chat completion request, when it is one.
    public var chat: ChatStubRequestBody?
    /// The scripted reply used, for chat requests.
    public var reply: ChatStubReply?
    /// The HTTP status answered.
    public var status: Int
    /// The token counts reported in the answer, when it had a `usage` object.
    public var usage: ChatStubUsage?

    /// The `Authorization` header, e.g. `Bearer sk-…`.
    public var authorization: String? { headers["authorization"] }
}

/// The fields of a chat completion request the stub looks at; absent fields are nil.
public struct ChatStubRequestBody: Sendable, Hashable, Decodable {
    public struct Message: Sendable, Hashable, Decodable {
        public var role: String
        public var content: String?
    }

    public var model: String?
    public var messages: [Message]
    public var stream: Bool?
    /// `stream_options.include_usage`: a streamed reply then ends with a chunk carrying `usage`.
    public var includeUsage: Bool?
    public var temperature: Double?
    public var maxTokens: Int?
    public var maxCompletionTokens: Int?

    enum CodingKeys: String, CodingKey {
        case model, messages, stream, temperature
        case streamOptions = "stream_options"
        case maxTokens = "max_tokens"
        case maxCompletionTokens = "max_completion_tokens"
    }

    private struct StreamOptions: Decodable {
        var include_usage: Bool?
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        model = try container.decodeIfPresent(String.self, forKey: .model)
        messages = try container.decodeIfPresent([Message].self, forKey: .messages) ?? []
        stream = try container.decodeIfPresent(Bool.self, forKey: .stream)
        includeUsage = try container.decodeIfPresent(StreamOptions.self, forKey: .streamOptions)?.include_usage
        temperature = try container.decodeIfPresent(Double.self, forKey: .temperature)
        maxTokens = try container.decodeIfPresent(Int.self, forKey: .maxTokens)
        maxCompletionTokens = try container.decodeIfPresent(Int.self, forKey: .maxCompletionTokens)
    }
}

/// `usage.prompt_tokens` and `usage.completion_tokens` as the stub reported them (words, not tokens).
public struct ChatStubUsage: Sendable, Hashable {
    public var promptTokens: Int
    public var completionTokens: Int
}
