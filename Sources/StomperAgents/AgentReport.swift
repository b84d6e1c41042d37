import Foundation

/// What an agent CLI said about its own run, read from its machine-readable output.
///
/// Only the agent's claim of failure and its usage are taken from it: success is never taken
/// from an agent's word, verification decides that.
public struct AgentReport: Sendable, Hashable {
    public enum Verdict: Sendable, Hashable {
        /// The output said nothing either way (no output format, or nothing parsable).
        case silent
        /// The agent reported success.
        case succeeded
        /// The agent reported that the run failed. The reason reads after the agent's name
        /// ("reported error_max_turns: …", "stopped at its turn limit").
        case failed(reason: String)
        /// The agent reported that its provider refused it (authentication); counts towards the
        /// circuit breaker like a missing executable.
        case unavailable(reason: String)
    }

    /// The machine-readable output an agent CLI prints, one case per documented shape.
    public enum Format: String, Sendable, Hashable, Codable, CaseIterable {
        /// Nothing to parse (aider prints prose and exits 0 even when it failed).
        case none
        /// One JSON object: `type:"result"`, `subtype`, `is_error`, `result`, `total_cost_usd`,
        /// `usage{input_tokens, output_tokens, cache_*_input_tokens}` (Claude Code; cursor-agent's
        /// `json` output has the same keys, without cost).
        case resultObject = "result-object"
        /// JSON Lines events of `codex exec --json`: `turn.failed{error}` and `error{message}` are
        /// failures; `turn.completed{usage{input_tokens, output_tokens}}` carries tokens.
        case codexEvents = "codex-events"
        /// Gemini CLI's `{response, stats, error?}`, with its documented exit codes 42 (input
        /// error) and 53 (turn limit) explained.
        case geminiObject = "gemini-object"
        /// opencode's NDJSON events: `error{error{name, data{message}}}` is a failure,
        /// `step_finish{part{tokens, cost}}` carries usage.
        case opencodeEvents = "opencode-events"
    }

    public var verdict: Verdict
    public var usage: AgentUsage?
    /// The agent's final message, when it reports one.
    public var message: String?

    public init(verdict: Verdict = .silent, usage: AgentUsage? = nil, message: String? = nil) {
        self.verdict = verdict
        self.usage = usage
        self.message = message
    }

    /// Reads `output` (standard output) of a run that ended with `exitCode` (nil when killed).
    public static func parse(_ output: String, format: Format, exitCode: Int32?) -> AgentReport {
        switch format {
        case .none: return AgentReport()
        case .resultObject: return resultObject(output)
        case .codexEvents: return codexEvents(output)
        case .geminiObject: return geminiObject(output, exitCode: exitCode)
        case .opencodeEvents: return opencodeEvents(output)
        }
    }

    // MARK: Formats

    static func resultObject(_ output: String) -> AgentReport {
        guard let object = jsonObjects(in: output).last(where: { $0["type"] as? String == "result" || $0["is_error"] != nil })
        else { return AgentReport() }
        let subtype = object["subtype"] as? String
        let text = (object["result"] as? String).map(trimmed)
        var report = AgentReport(usage: nil, message: text)
        if object["is_error"] as? Bool == true || (subtype.map { $0 != "success" } ?? false) {
            let what = subtype.map { $0 == "success" ? "an error" : $0 } ?? "an error"
            report.verdict = .failed(reason: "reported \(what)" + (text.map { $0.isEmpty ? "" : ": \($0)" } ?? ""))
        } else {
            report.verdict = .succeeded
        }
        let usage = object["usage"] as? [String: Any]
        // Cached input is input too: Claude reports it apart from `input_tokens`, which alone is tiny.
        let input = sum([usage?["input_tokens"], usage?["cache_creation_input_tokens"], usage?["cache_read_input_tokens"]])
        report.usage = makeUsage(input: input, output: integer(usage?["output_tokens"]), cost: double(object["total_cost_usd"]))
        return report
    }

    static func codexEvents(_ output: String) -> AgentReport {
        let events = jsonObjects(in: output)
        guard !events.isEmpty else { return AgentReport() }
        var report = AgentReport(verdict: .silent)
        var input: Int?
        var outputTokens: Int?
        var failures: [String] = []
        for event in events {
            switch event["type"] as? String {
            case "turn.completed":
                let usage = event["usage"] as? [String: Any]
                // `cached_input_tokens` is part of `input_tokens` in OpenAI's accounting.
                input = sum([input, usage?["input_tokens"]])
                outputTokens = sum([outputTokens, usage?["output_tokens"]])
                if case .silent = report.verdict { report.verdict = .succeeded }
            case "turn.failed":
                failures.append(message(of: event["error"]) ?? "the turn failed")
            case "error":
                failures.append(message(of: event) ?? "an error")
            case "item.completed":
                if let item = event["item"] as? [String: Any], item["type"] as? String == "agent_message", let text = item["text"] as? String {
                    report.message = trimmed(text)
                }
            default:
                continue
            }
        }
        if !failures.isEmpty { report.verdict = .failed(reason: "reported " + failures.joined(separator: "; ")) }
        report.usage = makeUsage(input: input, output: outputTokens, cost: nil)
        return report
    }

    static func geminiObject(_ output: String, exitCode: Int32?) -> AgentReport {
        let object = jsonObjects(in: output).last(where: { $0["response"] != nil || $0["error"] != nil || $0["stats"] != nil })
        var report = AgentReport(message: (object?["response"] as? String).map(trimmed))
        var reasons: [String] = []
        switch exitCode {
        case 42: reasons.append("rejected its input: an invalid prompt or argument (check that the installed version knows every flag)")
        case 53: reasons.append("stopped at its turn limit")
        default: break
        }
        if let error = object?["error"], !(error is NSNull) {
            reasons.append("reported " + (message(of: error) ?? "an error"))
        }
        if !reasons.isEmpty {
            report.verdict = .failed(reason: reasons.joined(separator: "; "))
        } else if object != nil {
            report.verdict = exitCode == 0 ? .succeeded : .silent
        }
        // `stats.models.<name>.tokens.{prompt, candidates}`; some versions print flat
        // `stats.{inputTokens, outputTokens}`.
        if let stats = object?["stats"] as? [String: Any] {
            var input = integer(stats["inputTokens"])
            var outputTokens = integer(stats["outputTokens"])
            for case let model as [String: Any] in ((stats["models"] as? [String: Any]) ?? [:]).values {
                let tokens = model["tokens"] as? [String: Any]
                input = sum([input, tokens?["prompt"]])
                outputTokens = sum([outputTokens, tokens?["candidates"], tokens?["thoughts"]])
            }
            report.usage = makeUsage(input: input, output: outputTokens, cost: nil)
        }
        return report
    }

    static func opencodeEvents(_ output: String) -> AgentReport {
        let events = jsonObjects(in: output)
        guard !events.isEmpty else { return AgentReport() }
        var report = AgentReport()
        var input: Int?
        var outputTokens: Int?
        var cost: Double?
        var failures: [String] = []
        var authenticationFailure: String?
        var text: [String] = []
        for event in events {
            let part = event["part"] as? [String: Any]
            switch event["type"] as? String {
            case "step_finish":
                let tokens = part?["tokens"] as? [String: Any]
                let cache = tokens?["cache"] as? [String: Any]
                input = sum([input, tokens?["input"], cache?["read"], cache?["write"]])
                outputTokens = sum([outputTokens, tokens?["output"], tokens?["reasoning"]])
                if let value = double(part?["cost"]) { cost = (cost ?? 0) + value }
                if part?["reason"] as? String != "tool-calls", case .silent = report.verdict { report.verdict = .succeeded }
            case "error":
                let error = event["error"] as? [String: Any]
                let name = error?["name"] as? String
                let detail = message(of: (error?["data"] as? [String: Any]) ?? error) ?? message(of: event) ?? name ?? "an error"
                let reason = name.map { $0 == detail ? detail : "\($0): \(detail)" } ?? detail
                if name == "ProviderAuthError" { authenticationFailure = reason }
                failures.append(reason)
            case "text":
                if let value = part?["text"] as? String { text.append(value) }
            default:
                continue
            }
        }
        if let authenticationFailure {
            report.verdict = .unavailable(reason: "its provider refused the credentials: \(authenticationFailure)")
        } else if !failures.isEmpty {
            report.verdict = .failed(reason: "reported " + failures.joined(separator: "; "))
        }
        if !text.isEmpty { report.message = trimmed(text.joined(separator: "\n")) }
        report.usage = makeUsage(input: input, output: outputTokens, cost: cost)
        return report
    }

    // MARK: Helpers

    /// The whole output as one JSON object, or else every line that is one (JSON Lines, or an
    /// object after lines of progress text).
    static func jsonObjects(in output: String) -> [[String: Any]] {
        func object(_ text: some StringProtocol) -> [String: Any]? {
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard trimmed.hasPrefix("{") else { return nil }
            return (try? JSONSerialization.jsonObject(with: Data(trimmed.utf8))) as? [String: Any]
        }
        if let whole = object(output) { return [whole] }
        return output.split(whereSeparator: \.isNewline).compactMap(object)
    }

    static func message(of value: Any?) -> String? {
        if let text = value as? String { return text.isEmpty ? nil : trimmed(text) }
        guard let object = value as? [String: Any] else { return nil }
        if let text = object["message"] as? String, !text.isEmpty { return trimmed(text) }
        return message(of: object["error"])
    }

    static func trimmed(_ text: String) -> String {
        let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return AgentProcess.tail(text, limit: 500)
    }

    static func integer(_ value: Any?) -> Int? {
        guard let value else { return nil }
        if let integer = value as? Int { return integer }
        if let double = value as? Double { return Int(exactly: double.rounded()) }
        return (value as? NSNumber)?.intValue
    }

    static func double(_ value: Any?) -> Double? {
        guard let value else { return nil }
        if let double = value as? Double { return double }
        if let integer = value as? Int { return Double(integer) }
        return (value as? NSNumber)?.doubleValue
    }

    /// The sum of the numbers present; nil when none is.
    static func sum(_ values: [Any?]) -> Int? {
        let numbers = values.compactMap(integer)
        return numbers.isEmpty ? nil : numbers.reduce(0, +)
    }

    static func makeUsage(input: Int?, output: Int?, cost: Double?) -> AgentUsage? {
        input == nil && output == nil && cost == nil ? nil : AgentUsage(inputTokens: input, outputTokens: output, costUSD: cost)
    }
}
