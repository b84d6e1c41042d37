import Foundation
import Synchronization
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// An API key. Its description is redacted so that printing a settings value, an agent or an
/// error never shows it.
struct APIKey: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    let value: String

    var description: String { "[redacted]" }
    var debugDescription: String { "[redacted]" }
    var customMirror: Mirror { Mirror(self, children: []) }
}

/// Posts one chat completion request, retrying what a retry can fix. No file access, no
/// validation: that is `ChatAgent`'s job.
struct ChatClient: Sendable {
    /// How one exchange ended.
    enum Exchange: Sendable {
        /// A 2xx answer and its body.
        case answered(Data, calls: Int)
        /// No usable answer; `status` says whether it was the infrastructure or this request.
        case refused(AgentOutcome.Status, calls: Int)
    }

    let endpoint: URL
    let apiKey: APIKey?
    /// Named in messages about refused keys, never the key itself.
    let keyVariable: String?
    let maxRetries: Int
    let backoff: Backoff
    let sleep: @Sendable (Duration) async throws -> Void
    let random: @Sendable () -> Double

    /// Statuses worth another try: the server is busy (429), timed out (408) or broken (5xx).
    static func isRetryable(_ status: Int) -> Bool { status == 408 || status == 429 || (500...599).contains(status) }

    /// Sends `body`, retrying 408, 429, 5xx and dropped connections up to `maxRetries` times.
    /// `counter` counts the requests as they start, so a caller that gives up still knows.
    /// Throws only `CancellationError`.
    func send(_ body: Data, timeout: Duration, counter: CallCounter) async throws -> Exchange {
        var request = URLRequest(url: endpoint)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let apiKey { request.setValue("Bearer \(apiKey.value)", forHTTPHeaderField: "Authorization") }
        // The caller's deadline is what bounds the attempt; this only stops URLSession's own
        // idle timeout (60 s by default) from firing first on a slow local model.
        request.timeoutInterval = max(1, Double(timeout.components.seconds) + 1)

        var calls = 0
        while true {
            calls += 1
            counter.increment()
            let lastFailure: String
            var retryAfter: Duration?
            switch try await perform(request) {
            case .failure(let error):
                switch error.code {
                case .networkConnectionLost:
                    lastFailure = "the connection to \(host) was lost"
                case .timedOut:
                    return .refused(.timedOut(after: timeout), calls: calls)
                default:
                    return .refused(.unavailable(reason: "cannot reach the chat endpoint \(host): \(error.localizedDescription)"), calls: calls)
                }
            case .success(let (data, response)):
                let status = response.statusCode
                if (200...299).contains(status) { return .answered(data, calls: calls) }
                let message = Self.errorMessage(data)
                switch status {
                case 401, 403:
                    let hint = keyVariable.map { "check the key in $\($0)" } ?? "set agent.chat.api_key_variable to the variable holding the key"
                    return .refused(.unavailable(reason: "the chat endpoint refused the API key (HTTP \(status): \(message)); \(hint)"), calls: calls)
                case _ where Self.isRetryable(status):
                    lastFailure = "HTTP \(status): \(message)"
                    retryAfter =
                        (response.value(forHTTPHeaderField: "retry-after-ms").flatMap(Double.init).map { Duration.milliseconds($0) })
                        ?? response.value(forHTTPHeaderField: "Retry-After").flatMap { Backoff.retryAfter($0) }
                default:
                    return .refused(.failed(reason: "the chat endpoint answered HTTP \(status): \(message)"), calls: calls)
                }
            }
            guard calls <= maxRetries else {
                let tries = calls == 1 ? "1 call" : "\(calls) calls"
                return .refused(.unavailable(reason: "the chat endpoint \(host) kept failing (\(lastFailure)) after \(tries)"), calls: calls)
            }
            try await sleep(backoff.delay(forRetry: calls, retryAfter: retryAfter, unit: random()))
        }
    }

    private var host: String { endpoint.host.map { host in endpoint.port.map { "\(host):\($0)" } ?? host } ?? endpoint.absoluteString }

    /// The session of every chat request of the process. `URLSession.shared` opens at most 6
    /// connections to a host and queues the rest, which held `--parallel 16` with the chat agent
    /// to 6 requests at once; `fix.parallel` allows 64 jobs, so 64 connections. Ephemeral: no
    /// cookies or cache on disk.
    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 64
        return URLSession(configuration: configuration)
    }()

    /// One HTTP exchange. A cancelled task cancels the URLSession task, which then completes at
    /// once with `URLError.cancelled`; that is reported as `CancellationError`.
    private func perform(_ request: URLRequest) async throws -> Result<(Data, HTTPURLResponse), URLError> {
        let box = TaskBox()
        let result: Result<(Data, HTTPURLResponse), URLError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let task = Self.session.dataTask(with: request) { data, response, error in
                    if let response = response as? HTTPURLResponse, error == nil {
                        continuation.resume(returning: .success((data ?? Data(), response)))
                    } else {
                        continuation.resume(returning: .failure(error as? URLError ?? URLError(.unknown)))
                    }
                }
                box.start(task)
            }
        } onCancel: {
            box.cancel()
        }
        if case .failure(let error) = result, error.code == .cancelled || Task.isCancelled { throw CancellationError() }
        return result
    }

    /// The message of an error body: `{"error":{"message"}}` (OpenAI), `{"error":"…"}` (Ollama),
    /// `{"message"}`, else the start of the raw body.
    static func errorMessage(_ data: Data) -> String {
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            if let error = object["error"] as? [String: Any], let message = error["message"] as? String { return message }
            if let message = object["error"] as? String { return message }
            if let message = object["message"] as? String { return message }
        }
        let text = String(decoding: data.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "no message" : text
    }
}

/// How many requests an exchange has started.
final class CallCounter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func increment() { count.withLock { $0 += 1 } }
}

/// Hands the URLSession task to the cancellation handler, which may run before the task exists.
/// `@unchecked Sendable`: `lock` guards both fields.
private final class TaskBox: @unchecked Sendable {
    private let lock = NSLock()
    private var task: URLSessionDataTask?
    private var cancelled = false

    func start(_ task: URLSessionDataTask) {
        let cancelled = lock.withLock {
            self.task = task
            return self.cancelled
        }
        if cancelled { task.cancel() }
        task.resume()
    }

    func cancel() {
        let task = lock.withLock {
            cancelled = true
            return self.task
        }
        task?.cancel()
    }
}
