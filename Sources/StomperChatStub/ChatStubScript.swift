import Foundation

/// What the stub answers, in order: one `Reply` per chat request from `replies`, then `fallback`
/// for every request after the queue is empty.
///
/// As JSON (the `stomper-chat-stub --script` format):
///
/// ```json
/// {"replies": ["rateLimited", {"rateLimited": 2}, {"slow": 3000}, "good"],
///  "default": "good",
///  "edits": [{"delete": "import os"}, {"replace": "x  = 1", "with": "x = 1"}],
///  "file": "bad.py"}
/// ```
///
/// Every key is optional (no replies, default `good`, no edits, no file).
public struct ChatStubScript: Sendable, Hashable, Codable {
    public var replies: [ChatStubReply]
    public var fallback: ChatStubReply
    /// What a good reply does to the file it was sent, in order.
    public var edits: [ChatStubEdit]
    /// The file's name as the client lists it, for clients that send files as a line holding the
    /// name followed by a fenced block, somewhere in the conversation (aider does, in a user
    /// message before the request). When set, a good reply edits the newest such block of a user
    /// message and answers the way aider's `whole` edit format asks: the name on a line, then the
    /// whole file in a fenced block. When nil, it edits the last block of the last user message
    /// (stomper's chat agent).
    public var file: String?

    public init(replies: [ChatStubReply] = [], fallback: ChatStubReply = .good, edits: [ChatStubEdit] = [], file: String? = nil) {
        self.replies = replies
        self.fallback = fallback
        self.edits = edits
        self.file = file
    }

    enum CodingKeys: String, CodingKey {
        case replies
        case fallback = "default"
        case edits
        case file
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        replies = try container.decodeIfPresent([ChatStubReply].self, forKey: .replies) ?? []
        fallback = try container.decodeIfPresent(ChatStubReply.self, forKey: .fallback) ?? .good
        edits = try container.decodeIfPresent([ChatStubEdit].self, forKey: .edits) ?? []
        file = try container.decodeIfPresent(String.self, forKey: .file)
    }
}

/// One scripted answer to `POST /v1/chat/completions`.
///
/// JSON: a bare name (`"good"`, `"truncated"`, `"unauthorized"`, `"rateLimited"`, `"serverError"`,
/// `"modelNotFound"`, `"nullContent"`, `"empty"`, `"notAFile"`, `"elided"`), or a one-key object
/// for the cases with a value: `{"rateLimited": SECONDS}`, `{"slow": MILLISECONDS}`.
public enum ChatStubReply: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The whole file from the last user message, edited, in one ```python block; `stop`.
    case good
    /// The first half of the edited file, in an unclosed block; `finish_reason: "length"`.
    case truncated
    /// 401 with OpenAI's error JSON.
    case unauthorized
    /// 429 with OpenAI's error JSON and, when given, a `Retry-After` header (seconds).
    case rateLimited(retryAfter: Int?)
    /// 500 with OpenAI's error JSON.
    case serverError
    /// 404 with Ollama's `{"error":"model '…' not found"}`.
    case modelNotFound
    /// 200 whose `message.content` is null.
    case nullContent
    /// 200 whose `message.content` is "".
    case empty
    /// 200 with prose and no code block.
    case notAFile
    /// 200 with a block holding the first lines and `# ... rest of the file unchanged`.
    case elided
    /// Waits, then answers like `good`. Gives up early if the client disconnects or the
    /// server stops, so a client's timeout never keeps a test waiting.
    case slow(milliseconds: Int)

    static let names: [String: ChatStubReply] = [
        "good": .good, "truncated": .truncated, "unauthorized": .unauthorized, "rateLimited": .rateLimited(retryAfter: nil),
        "serverError": .serverError, "modelNotFound": .modelNotFound, "nullContent": .nullContent, "empty": .empty,
        "notAFile": .notAFile, "elided": .elided,
    ]

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        if let name = try? decoder.singleValueContainer().decode(String.self) {
            guard let reply = Self.names[name] else {
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: decoder.codingPath,
                        debugDescription:
                            "unknown reply \"\(name)\"; use one of \(Self.names.keys.sorted().joined(separator: ", ")), {\"rateLimited\": N}, {\"slow\": MS}"
                    ))
            }
            self = reply
            return
        }
        let container = try decoder.container(keyedBy: Key.self)
        guard container.allKeys.count == 1, let key = container.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a reply object has exactly one key"))
        }
        switch key.stringValue {
        case "rateLimited": self = .rateLimited(retryAfter: try container.decodeIfPresent(Int.self, forKey: key))
        case "slow": self = .slow(milliseconds: try container.decode(Int.self, forKey: key))
        default:
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath + [key],
                    debugDescription: "unknown reply \"\(key.stringValue)\"; objects are rateLimited or slow"))
        }
    }

    /// The script name: `good`, `rateLimited 2s`, `slow 3000ms`.
    public var description: String {
        switch self {
        case .rateLimited(let seconds?): return "rateLimited \(seconds)s"
        case .slow(let milliseconds): return "slow \(milliseconds)ms"
        default: return Self.names.first { $0.value == self }?.key ?? "good"
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .rateLimited(let seconds?):
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(seconds, forKey: Key(stringValue: "rateLimited"))
        case .slow(let milliseconds):
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(milliseconds, forKey: Key(stringValue: "slow"))
        default:
            var container = encoder.singleValueContainer()
            try container.encode(description)
        }
    }
}

/// A change a good reply makes to the file. JSON: `{"delete": TEXT}` or `{"replace": OLD, "with": NEW}`.
public enum ChatStubEdit: Sendable, Hashable, Codable {
    /// Removes every line containing the text.
    case deleteLines(containing: String)
    /// Replaces every occurrence of the text.
    case replace(String, with: String)

    enum CodingKeys: String, CodingKey {
        case delete, replace, with
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let text = try container.decodeIfPresent(String.self, forKey: .delete) {
            self = .deleteLines(containing: text)
        } else {
            self = .replace(try container.decode(String.self, forKey: .replace), with: try container.decode(String.self, forKey: .with))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .deleteLines(let text):
            try container.encode(text, forKey: .delete)
        case .replace(let old, let new):
            try container.encode(old, forKey: .replace)
            try container.encode(new, forKey: .with)
        }
    }

    /// `text` with this edit applied.
    public func apply(to text: String) -> String {
        switch self {
        case .deleteLines(let needle):
            return text.split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.contains(needle) }
                .joined(separator: "\n")
        case .replace(let old, let new):
            return text.replacingOccurrences(of: old, with: new)
        }
    }
}
