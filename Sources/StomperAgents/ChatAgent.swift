import Foundation
import StomperProcess

/// Settings of the chat agent (`[agent.chat]` in stomper.toml; keys in snake_case).
public struct ChatSettings: Sendable, Hashable, Codable {
    /// Which request field carries the token limit: `max_tokens` is the one compatible servers
    /// (Ollama, vLLM, llama.cpp) accept; OpenAI's newer models want `max_completion_tokens`.
    public enum TokenLimitField: String, Sendable, Hashable, Codable, CaseIterable {
        case maxTokens = "max_tokens"
        case maxCompletionTokens = "max_completion_tokens"
    }

    /// Up to and including `/v1`: `http://127.0.0.1:11434/v1`, `https://api.openai.com/v1`.
    public var baseURL: String
    public var model: String
    /// The environment variable holding the key (`OPENAI_API_KEY`); nil sends no key. The key
    /// itself is never part of the settings.
    public var apiKeyVariable: String?
    public var timeoutSeconds: Double
    public var maxTokens: Int?
    public var maxTokensField: TokenLimitField
    /// Nil sends none (reasoning models reject anything but their default).
    public var temperature: Double?
    /// Extra tries after a 408, 429 or 5xx answer or a dropped connection.
    public var maxRetries: Int
    /// The ceiling of the first retry's wait; it doubles per retry up to `retryDelayCap`.
    public var retryBaseDelayMilliseconds: Int

    /// The longest wait between two tries, `Retry-After` included.
    public static let retryDelayCap = Duration.seconds(30)

    /// The defaults point at a local Ollama; `model` must still be set (`ChatAgent` refuses an empty one).
    public init(
        baseURL: String = "http://127.0.0.1:11434/v1", model: String = "", apiKeyVariable: String? = nil, timeoutSeconds: Double = 300,
        maxTokens: Int? = nil,
        maxTokensField: TokenLimitField = .maxTokens, temperature: Double? = 0, maxRetries: Int = 3,
        retryBaseDelayMilliseconds: Int = 500
    ) {
        self.baseURL = baseURL
        self.model = model
        self.apiKeyVariable = apiKeyVariable
        self.timeoutSeconds = timeoutSeconds
        self.maxTokens = maxTokens
        self.maxTokensField = maxTokensField
        self.temperature = temperature
        self.maxRetries = maxRetries
        self.retryBaseDelayMilliseconds = retryBaseDelayMilliseconds
    }

    enum CodingKeys: String, CodingKey {
        case baseURL = "base_url", model, apiKeyVariable = "api_key_variable", timeoutSeconds = "timeout_seconds"
        case maxTokens = "max_tokens", maxTokensField = "max_tokens_field", temperature, maxRetries = "max_retries"
        case retryBaseDelayMilliseconds = "retry_base_delay_milliseconds"
    }

    /// Missing keys take the defaults; an explicit null `temperature` means "send none".
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = ChatSettings()
        baseURL = try container.decodeIfPresent(String.self, forKey: .baseURL) ?? defaults.baseURL
        model = try container.decodeIfPresent(String.self, forKey: .model) ?? defaults.model
        apiKeyVariable = try container.decodeIfPresent(String.self, forKey: .apiKeyVariable)
        timeoutSeconds = try container.decodeIfPresent(Double.self, forKey: .timeoutSeconds) ?? defaults.timeoutSeconds
        maxTokens = try container.decodeIfPresent(Int.self, forKey: .maxTokens)
        maxTokensField = try container.decodeIfPresent(TokenLimitField.self, forKey: .maxTokensField) ?? defaults.maxTokensField
        temperature = container.contains(.temperature) ? try container.decodeIfPresent(Double.self, forKey: .temperature) : defaults.temperature
        maxRetries = try container.decodeIfPresent(Int.self, forKey: .maxRetries) ?? defaults.maxRetries
        retryBaseDelayMilliseconds =
            try container.decodeIfPresent(Int.self, forKey: .retryBaseDelayMilliseconds)
            ?? defaults.retryBaseDelayMilliseconds
    }

    /// Writes a nil `temperature` as null, not as a missing key: a missing key decodes to the
    /// default (0), so a stored run with `send_temperature = false` would resume sending 0.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(baseURL, forKey: .baseURL)
        try container.encode(model, forKey: .model)
        try container.encodeIfPresent(apiKeyVariable, forKey: .apiKeyVariable)
        try container.encode(timeoutSeconds, forKey: .timeoutSeconds)
        try container.encodeIfPresent(maxTokens, forKey: .maxTokens)
        try container.encode(maxTokensField, forKey: .maxTokensField)
        if let temperature {
            try container.encode(temperature, forKey: .temperature)
        } else {
            try container.encodeNil(forKey: .temperature)
        }
        try container.encode(maxRetries, forKey: .maxRetries)
        try container.encode(retryBaseDelayMilliseconds, forKey: .retryBaseDelayMilliseconds)
    }

    /// Every setting, in a fixed order, for the agent's identity.
    public var canonicalText: String {
        [
            "base_url=\(baseURL)", "model=\(model)", "api_key_variable=\(apiKeyVariable ?? "")",
            "timeout_seconds=\(timeoutSeconds)", "max_tokens=\(maxTokens.map(String.init) ?? "")",
            "max_tokens_field=\(maxTokensField.rawValue)", "temperature=\(temperature.map { "\($0)" } ?? "")",
            "max_retries=\(maxRetries)", "retry_base_delay_milliseconds=\(retryBaseDelayMilliseconds)",
        ].joined(separator: "\u{1f}")
    }
}

/// An OpenAI-compatible Chat Completions endpoint as an agent (OpenAI, Ollama's `/v1`, LM Studio,
/// vLLM): sends the file and its diagnostics, and writes back the whole file from the reply's
/// code block, after `ChatReply.verdict` has checked it is one.
public struct ChatAgent: Agent {
    public let settings: ChatSettings
    public let identity: AgentIdentity
    /// The user message's template: the built-in one, or the project's (`agent.prompt_template`).
    public let userTemplate: PromptTemplate
    private let client: ChatClient

    /// It sends the file and writes the file back; nothing else of the worktree is read.
    public var readsOnlyItsFile: Bool { true }

    /// `apiKey` is the value of `settings.apiKeyVariable`, read by the caller; it is sent as a
    /// Bearer token and kept out of identity, output and descriptions. `sleep` waits between
    /// retries and `random` draws their jitter in `0...1`; tests replace both.
    /// Throws `AgentError` when a setting is unusable.
    public init(
        settings: ChatSettings, apiKey: String?, userTemplate: PromptTemplate = .chatUser,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        random: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }
    ) throws {
        let base = settings.baseURL.hasSuffix("/") ? String(settings.baseURL.dropLast()) : settings.baseURL
        guard let endpoint = URL(string: base + "/chat/completions"), ["http", "https"].contains(endpoint.scheme?.lowercased()),
            endpoint.host?.isEmpty == false
        else {
            throw AgentError(.badConfiguration, "agent.chat.base_url \"\(settings.baseURL)\" is not an http(s) URL, e.g. http://127.0.0.1:11434/v1")
        }
        guard !settings.model.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw AgentError(.badConfiguration, "agent.chat.model is empty; name the model to use, e.g. model = \"qwen2.5-coder:7b\"")
        }
        guard settings.timeoutSeconds > 0, settings.maxRetries >= 0, settings.retryBaseDelayMilliseconds >= 0,
            (settings.maxTokens ?? 1) > 0
        else {
            throw AgentError(
                .badConfiguration,
                "agent.chat timeout_seconds and max_tokens must be positive, max_retries and retry_base_delay_milliseconds not negative")
        }
        self.settings = settings
        self.userTemplate = userTemplate
        // A project's template changes what is asked, so it is part of the identity (and the keys).
        self.identity = AgentIdentity(
            kind: "chat", name: settings.model,
            settings: settings.canonicalText
                + (userTemplate == .chatUser ? "" : "\u{1f}template:" + userTemplate.text))
        self.client = ChatClient(
            endpoint: endpoint, apiKey: apiKey.flatMap { $0.isEmpty ? nil : APIKey(value: $0) }, keyVariable: settings.apiKeyVariable,
            maxRetries: settings.maxRetries,
            backoff: Backoff(base: .milliseconds(settings.retryBaseDelayMilliseconds), cap: ChatSettings.retryDelayCap),
            sleep: sleep, random: random)
    }

    /// True: it runs no process and writes only the request's file, itself.
    public var isContained: Bool { true }

    public func fix(_ request: FixRequest) async throws -> AgentOutcome {
        let start = ContinuousClock.now
        func outcome(_ status: AgentOutcome.Status, _ output: String, calls: Int, usage: AgentUsage? = nil) -> AgentOutcome {
            AgentOutcome(status: status, output: redact(output), duration: ContinuousClock.now - start, calls: calls, usage: usage)
        }
        if let variable = settings.apiKeyVariable, client.apiKey == nil {
            return outcome(.unavailable(reason: "the API key variable $\(variable) is not set or empty"), "", calls: 0)
        }
        let url = URL(fileURLWithPath: request.worktree).appendingPathComponent(request.path)
        let original: String
        do {
            original = try String(contentsOf: url, encoding: .utf8)
        } catch {
            return outcome(.failed(reason: "cannot read \(request.path) as UTF-8: \(error.localizedDescription)"), "", calls: 0)
        }
        let body: Data
        do {
            body = try requestBody(Prompt.chatMessages(for: request, source: original, user: userTemplate))
        } catch {
            throw AgentError(.badConfiguration, "cannot encode the chat request: \(error)")
        }
        let limit = min(request.timeout, .nanoseconds(Int64(min(settings.timeoutSeconds, 1e9) * 1e9)))

        let counter = CallCounter()
        let exchange: ChatClient.Exchange? = try await withThrowingTaskGroup(of: ChatClient.Exchange?.self) { group in
            group.addTask { try await client.send(body, timeout: limit, counter: counter) }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            // The first to finish wins; the other is cancelled and, being cancellable, ends at once.
            return try await group.next() ?? nil
        }
        try Task.checkCancellation()
        guard let exchange else {
            return outcome(.timedOut(after: limit), "no complete reply from \(settings.model) within \(limit.formattedSeconds)", calls: counter.value)
        }
        let (data, calls): (Data, Int)
        switch exchange {
        case .refused(let status, let count):
            return outcome(status, AgentOutcome(status: status).failureReason ?? "", calls: count)
        case .answered(let answer, let count):
            (data, calls) = (answer, count)
        }
        guard let reply = ChatReply(json: data) else {
            let start = String(decoding: data.prefix(200), as: UTF8.self)
            return outcome(.failed(reason: "the chat endpoint's answer is not a chat completion: \(start)"), start, calls: calls)
        }
        let tokens = reply.usage.map { " (\($0.inputTokens ?? 0) tokens in, \($0.outputTokens ?? 0) out)" } ?? ""
        switch reply.verdict(original: original, diagnosticCount: request.diagnostics.count) {
        case .refused(let refusal):
            let excerpt = (reply.content ?? "").prefix(600)
            return outcome(.failed(reason: refusal.description), "\(settings.model) replied\(tokens): \(excerpt)", calls: calls, usage: reply.usage)
        case .file(let text):
            do {
                if text != original { try Data(text.utf8).write(to: url) }
            } catch {
                return outcome(.failed(reason: "cannot write \(request.path): \(error.localizedDescription)"), "", calls: calls, usage: reply.usage)
            }
            let what = text == original ? "returned the file unchanged" : "rewrote \(request.path)"
            return outcome(.completed, "\(settings.model) \(what)\(tokens)", calls: calls, usage: reply.usage)
        }
    }

    /// `{model, messages, stream: false, temperature?, max_tokens | max_completion_tokens?}`.
    func requestBody(_ messages: (system: String, user: String)) throws -> Data {
        var object: [String: Any] = [
            "model": settings.model, "stream": false,
            "messages": [["role": "system", "content": messages.system], ["role": "user", "content": messages.user]],
        ]
        if let temperature = settings.temperature { object["temperature"] = temperature }
        if let maxTokens = settings.maxTokens { object[settings.maxTokensField.rawValue] = maxTokens }
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    /// Removes the key (and any secret-looking environment value) from text for reports.
    private func redact(_ text: String) -> String {
        var text = Redactor.process.redact(text)
        if let key = client.apiKey?.value, key.count >= 4 { text = text.replacingOccurrences(of: key, with: Redactor.replacement) }
        return text
    }
}
