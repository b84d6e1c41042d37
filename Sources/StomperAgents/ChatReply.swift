public import Foundation

/// The useful part of a chat completion, and the rules for turning it into a whole file.
public struct ChatReply: Sendable, Hashable {
    /// `choices[0].message.content`; nil when null or absent.
    public var content: String?
    /// `choices[0].finish_reason`: `stop`, `length`, `content_filter`, `tool_calls`.
    public var finishReason: String?
    public var usage: AgentUsage?

    public init(content: String?, finishReason: String?, usage: AgentUsage? = nil) {
        self.content = content
        self.finishReason = finishReason
        self.usage = usage
    }

    /// Why a reply cannot be written to the file.
    public enum Refusal: Sendable, Hashable, CustomStringConvertible {
        case truncated
        case contentFiltered
        case nullContent
        case emptyContent
        case noCodeBlock
        case unclosedCodeBlock
        /// A line that stands for code the model left out (`# ... rest of the file unchanged`).
        case elided(line: String)
        /// Lost more than half the original's non-blank lines, more than a fix could explain.
        case tooShort(originalLines: Int, replyLines: Int)

        public var description: String {
            switch self {
            case .truncated:
                return "the reply was cut off at the token limit (finish_reason \"length\"); raise agent.chat.max_tokens"
            case .contentFiltered: return "the endpoint's content filter stopped the reply (finish_reason \"content_filter\")"
            case .nullContent: return "the reply has no content (null)"
            case .emptyContent: return "the reply is empty"
            case .noCodeBlock: return "the reply has no fenced code block; the whole file must come back in one"
            case .unclosedCodeBlock: return "the reply's code block is never closed; the reply looks cut off"
            case .elided(let line):
                return "the reply is not the whole file: it leaves code out (`\(line.prefix(80))`)"
            case .tooShort(let original, let reply):
                return "the reply is not the whole file: \(reply) non-blank lines where the file has \(original)"
            }
        }
    }

    public enum Verdict: Sendable, Hashable {
        /// The new file text, line endings and final newline as in the original.
        case file(String)
        case refused(Refusal)
    }

    /// The whole new file this reply carries, or why it does not carry one.
    ///
    /// The file is the longest fenced block (``` or ~~~). A reply is refused when:
    /// - it was cut off (`finish_reason` `length`), filtered, null, empty, has no block or an
    ///   unclosed one;
    /// - a line of the block is an elision marker: a comment that is only an ellipsis
    ///   (`# ...`, `// …`) or that says code was left out ("rest of the file", "existing code",
    ///   "unchanged", "omitted", "for brevity"…, alone or beside an ellipsis), unless the original
    ///   has that very line (then the model kept it, it did not invent it). Bare `...` is Python
    ///   code, never a marker;
    /// - it keeps fewer than half the original's non-blank lines *and* lost more than
    ///   `max(10, 3 × diagnosticCount)` of them. So a file of up to 10 non-blank lines, a reply
    ///   keeping half the lines, or a loss of up to three lines per diagnostic never trips it.
    public func verdict(original: String, diagnosticCount: Int) -> Verdict {
        switch finishReason {
        case "length": return .refused(.truncated)
        case "content_filter": return .refused(.contentFiltered)
        default: break
        }
        guard let content else { return .refused(.nullContent) }
        guard !content.allSatisfy(\.isWhitespace) else { return .refused(.emptyContent) }
        let blocks: [[Substring]]
        switch Self.codeBlocks(in: content) {
        case .some(let found) where !found.isEmpty: blocks = found
        case .some: return .refused(.noCodeBlock)
        case .none: return .refused(.unclosedCodeBlock)
        }
        var lines = blocks.max { $0.count < $1.count } ?? []
        lines = lines.map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        while let last = lines.last, last.allSatisfy(\.isWhitespace) { lines.removeLast() }

        let originalLines = Set(Self.lines(of: original).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        if let marker = lines.first(where: { Self.isElisionMarker($0) && !originalLines.contains($0.trimmingCharacters(in: .whitespaces)) }) {
            return .refused(.elided(line: marker.trimmingCharacters(in: .whitespaces)))
        }
        let before = Self.lines(of: original).filter { !$0.allSatisfy(\.isWhitespace) }.count
        let after = lines.filter { !$0.allSatisfy(\.isWhitespace) }.count
        if after * 2 < before, before - after > max(10, 3 * diagnosticCount) {
            return .refused(.tooShort(originalLines: before, replyLines: after))
        }
        let newline = original.contains("\r\n") ? "\r\n" : "\n"
        let text = lines.joined(separator: newline)
        return .file(original.unicodeScalars.last == "\n" && !text.isEmpty ? text + newline : text)
    }

    /// The contents of the fenced blocks in `text`, or nil when a block is never closed.
    /// CommonMark rules, simplified: a fence is 3+ backticks or tildes after at most 3 spaces;
    /// it closes on a line of the same character, at least as long, with nothing after it.
    static func codeBlocks(in text: String) -> [[Substring]]? {
        var blocks: [[Substring]] = []
        var open: (character: Character, length: Int, indent: Int, lines: [Substring])?
        for line in lines(of: text) {
            let indent = line.prefix { $0 == " " }.count
            let rest = line.dropFirst(indent)
            let fenceCharacter = rest.first
            let fenceLength = fenceCharacter.map { character in rest.prefix { $0 == character }.count } ?? 0
            let isFence = indent <= 3 && (fenceCharacter == "`" || fenceCharacter == "~") && fenceLength >= 3
            if var block = open {
                let tail = rest.dropFirst(fenceLength).trimmingCharacters(in: .whitespacesAndNewlines)
                if isFence, fenceCharacter == block.character, fenceLength >= block.length, tail.isEmpty {
                    blocks.append(block.lines)
                    open = nil
                } else {
                    // Content keeps its own indentation beyond the fence's.
                    block.lines.append(line.dropFirst(min(indent, block.indent)))
                    open = block
                }
            } else if isFence, let fenceCharacter {
                open = (fenceCharacter, fenceLength, indent, [])
            }
        }
        return open == nil ? blocks : nil
    }

    private static let strongPhrases = [
        "rest of the file", "rest of file", "rest of the code", "rest of code", "rest of the class", "rest of the function",
        "rest of the module", "rest remains", "existing code", "remains unchanged", "remain unchanged", "unchanged code",
        "code unchanged", "code omitted", "lines omitted", "omitted for brevity", "for brevity", "same as before",
        "same as above", "same as original", "previous code", "remaining code", "code continues",
    ]
    private static let weakWords = ["unchanged", "omitted", "same", "rest", "existing", "remaining", "previous", "other", "etc"]
    /// Docstrings are not here on purpose: a fix may add one that mentions "the rest of the file".
    private static let commentStarts = ["#", "//", "/*", "--", ";", "<!--"]

    /// Lines split at LF or CRLF (one `Character` in Swift, so `split(separator: "\n")` misses it).
    static func lines(of text: String) -> [Substring] {
        text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
    }

    /// Whether a line is a comment standing for code that was left out.
    static func isElisionMarker(_ line: Substring) -> Bool {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard let start = commentStarts.first(where: { trimmed.hasPrefix($0) }) else { return false }
        let body = trimmed.dropFirst(start.count).lowercased()
        let hasEllipsis = body.contains("...") || body.contains("…")
        let words = body.filter { !".…*/->#\"".contains($0) }.trimmingCharacters(in: .whitespaces)
        if hasEllipsis && words.isEmpty { return true }
        if strongPhrases.contains(where: { body.contains($0) }) { return true }
        return hasEllipsis && weakWords.contains { body.contains($0) }
    }
}

extension ChatReply {
    /// Decodes a chat completion leniently: unknown, missing or odd-typed fields are ignored.
    /// Takes `choices[0]` (OpenAI) or a top-level `message` (Ollama's native shape); content may
    /// be a string or an array of `{type: "text", text}` parts. Nil when the body is neither.
    public init?(json: Data) {
        guard let completion = try? JSONDecoder().decode(Completion.self, from: json),
            let choice = completion.choices?.first ?? completion.message.map({ Choice(message: $0, finishReason: completion.doneReason) })
        else { return nil }
        let usage = completion.usage.flatMap { usage in
            usage.promptTokens == nil && usage.completionTokens == nil
                ? nil : AgentUsage(inputTokens: usage.promptTokens, outputTokens: usage.completionTokens)
        }
        self.init(content: choice.message?.content, finishReason: choice.finishReason, usage: usage)
    }

    private struct Completion: Decodable {
        var choices: [Choice]?
        var message: Message?
        var doneReason: String?
        var usage: Usage?

        enum CodingKeys: String, CodingKey {
            case choices, message, usage
            case doneReason = "done_reason"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            choices = try? container.decodeIfPresent([Choice].self, forKey: .choices)
            message = try? container.decodeIfPresent(Message.self, forKey: .message)
            doneReason = try? container.decodeIfPresent(String.self, forKey: .doneReason)
            usage = try? container.decodeIfPresent(Usage.self, forKey: .usage)
        }
    }

    private struct Choice: Decodable {
        var message: Message?
        var finishReason: String?

        enum CodingKeys: String, CodingKey {
            case message
            case finishReason = "finish_reason"
        }

        init(message: Message?, finishReason: String?) {
            self.message = message
            self.finishReason = finishReason
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            message = try? container.decodeIfPresent(Message.self, forKey: .message)
            finishReason = try? container.decodeIfPresent(String.self, forKey: .finishReason)
        }
    }

    private struct Message: Decodable {
        var content: String?

        private struct Part: Decodable {
            var text: String?
        }

        enum CodingKeys: String, CodingKey {
            case content
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            if let text = try? container.decodeIfPresent(String.self, forKey: .content) {
                content = text
            } else if let parts = try? container.decodeIfPresent([Part].self, forKey: .content) {
                content = parts.compactMap(\.text).joined()
            }
        }
    }

    private struct Usage: Decodable {
        var promptTokens: Int?
        var completionTokens: Int?

        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens"
            case completionTokens = "completion_tokens"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            promptTokens = try? container.decodeIfPresent(Int.self, forKey: .promptTokens)
            completionTokens = try? container.decodeIfPresent(Int.self, forKey: .completionTokens)
        }
    }
}
