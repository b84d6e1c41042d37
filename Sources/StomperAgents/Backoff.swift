public import Foundation

/// How long to wait before retrying: exponential backoff with full jitter (the wait before retry
/// `n` is uniform in `0...min(cap, base × 2^(n−1))`), unless the server said how long with
/// `Retry-After`, which is honoured up to `cap`.
///
/// Full jitter spreads clients that failed together (a rate limit, a restart) so they do not
/// come back together. Pure: randomness comes in as a number or a generator.
public struct Backoff: Sendable, Hashable {
    /// The ceiling of the first retry's wait.
    public var base: Duration
    /// No wait is longer than this, whatever the retry number or `Retry-After`.
    public var cap: Duration

    public init(base: Duration, cap: Duration) {
        self.base = max(.zero, base)
        self.cap = max(.zero, cap)
    }

    /// The longest wait before retry `retry` (1 for the first retry): `min(cap, base × 2^(retry−1))`.
    public func ceiling(forRetry retry: Int) -> Duration {
        // 2^62 × any positive base is past every cap worth having; clamping avoids overflow.
        let exponent = min(max(retry, 1) - 1, 62)
        let nanoseconds = Self.nanoseconds(base) * pow(2, Double(exponent))
        return min(cap, .nanoseconds(Int64(min(nanoseconds, Double(Int64.max / 2)))))
    }

    /// The wait before retry `retry`. `unit` is the random draw in `0...1` (clamped): the wait is
    /// that fraction of the ceiling. A `retryAfter` replaces the draw, capped at `cap`.
    public func delay(forRetry retry: Int, retryAfter: Duration? = nil, unit: Double) -> Duration {
        if let retryAfter { return min(cap, max(.zero, retryAfter)) }
        let fraction = unit.isNaN ? 0 : min(1, max(0, unit))
        return .nanoseconds(Int64(Self.nanoseconds(ceiling(forRetry: retry)) * fraction))
    }

    /// The wait before retry `retry`, drawing the jitter from `generator`.
    public func delay(forRetry retry: Int, retryAfter: Duration? = nil, using generator: inout some RandomNumberGenerator) -> Duration {
        delay(forRetry: retry, retryAfter: retryAfter, unit: Double.random(in: 0...1, using: &generator))
    }

    /// A `Retry-After` header value: delay seconds (`120`, `1.5`) or an HTTP date, relative to
    /// `now`. Nil when it is neither; a date in the past gives zero.
    public static func retryAfter(_ value: String, now: Date = Date()) -> Duration? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(text), seconds.isFinite, seconds >= 0 {
            return .nanoseconds(Int64(min(seconds, 1e9) * 1e9))
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: text) else { return nil }
        return .nanoseconds(Int64(max(0, min(date.timeIntervalSince(now), 1e9)) * 1e9))
    }

    private static func nanoseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1e9 + Double(attoseconds) / 1e9
    }
}
