/// Run-wide limits on agent use, shared by every job of a run: a circuit breaker over
/// infrastructure failures, a cap on agent calls, and a time budget.
///
/// Every attempt asks `permit()` first and reports how it ended with `record(_:infrastructureFailure:reason:)`.
///
/// The breaker: after `threshold` consecutive infrastructure failures (a missing binary, a refused
/// connection or key, an endpoint that kept failing after its retries) it opens, and no attempt
/// starts until `cooldown` has passed. Then one probe attempt runs alone: if it does not fail on
/// infrastructure the breaker closes and everyone goes on; if it does, the governor stops the run's
/// agent work for good. Jobs refused a permit are left planned, so `stomper resume` finishes them.
public actor AgentGovernor {
    public enum Permit: Sendable, Equatable {
        /// Start the attempt, and report it with this ticket.
        case go(Ticket)
        /// No more attempts in this run; the reason says why and what to do.
        case stop(String)
    }

    /// Names one permitted attempt, so that only the probe's own result decides the probe.
    public struct Ticket: Sendable, Hashable {
        let number: Int
    }

    enum Breaker {
        case closed
        case open(until: ContinuousClock.Instant)
        /// A probe attempt is running; the others wait for its result.
        case probing
    }

    public let threshold: Int
    public let cooldown: Duration
    public let maxCalls: Int?
    public let deadline: ContinuousClock.Instant?
    private let sleep: @Sendable (Duration) async throws -> Void

    private var breaker = Breaker.closed
    private var consecutiveFailures = 0
    private var lastFailure = ""
    private var calls = 0
    private var stopped: String?
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private var probe: Ticket?

    /// - Parameters:
    ///   - threshold: consecutive infrastructure failures that open the breaker (0 = never).
    ///   - maxCalls: agent attempts allowed in the run (nil = unlimited).
    ///   - timeBudget: time after which no attempt starts (nil = unlimited).
    ///   - sleep: how the cooldown is waited for (tests pass a recording one).
    public init(
        threshold: Int = 3, cooldown: Duration = .seconds(30), maxCalls: Int? = nil, timeBudget: Duration? = nil,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.threshold = threshold
        self.cooldown = cooldown
        self.maxCalls = maxCalls
        self.deadline = timeBudget.map { ContinuousClock.now + $0 }
        self.sleep = sleep
    }

    /// Why the run's agent work stopped, if it did.
    public var stopReason: String? { stopped }

    /// Waits until an attempt may start (the breaker's cooldown, a probe's result), then takes one
    /// call from the budget; or says why no attempt may start any more.
    public func permit() async -> Permit {
        while true {
            if let stopped { return .stop(stopped) }
            if let deadline, ContinuousClock.now >= deadline {
                return stop("the time budget (--time-budget) is spent")
            }
            if let maxCalls, calls >= maxCalls {
                return stop("the agent call budget (--max-agent-calls \(maxCalls)) is spent")
            }
            switch breaker {
            case .closed:
                calls += 1
                return .go(Ticket(number: calls))
            case .probing:
                await withCheckedContinuation { waiting.append($0) }
            case .open(let until):
                let now = ContinuousClock.now
                if now < until {
                    breaker = .probing  // this caller waits out the cooldown and probes; others queue
                    try? await sleep(until - now)
                }
                breaker = .probing
                if let stopped { return .stop(stopped) }
                calls += 1
                probe = Ticket(number: calls)
                return .go(probe!)
            }
        }
    }

    /// Reports how a permitted attempt ended. While the breaker waits for its probe, only the
    /// probe's result counts (attempts that were already running when it opened do not decide).
    public func record(_ ticket: Ticket, infrastructureFailure: Bool, reason: String = "") {
        if infrastructureFailure {
            consecutiveFailures += 1
            lastFailure = reason
        } else {
            consecutiveFailures = 0
        }
        switch breaker {
        case .probing where ticket != probe:
            break
        case .probing where infrastructureFailure:
            stop("the agent's infrastructure kept failing after a cooldown (last: \(lastFailure))")
        case .probing:
            breaker = .closed
            probe = nil
            wakeAll()
        case .closed where threshold > 0 && consecutiveFailures >= threshold:
            breaker = .open(until: ContinuousClock.now + cooldown)
        default:
            break
        }
    }

    /// Whether the breaker is open or probing (for reports).
    public var isOpen: Bool {
        if case .closed = breaker { return false }
        return true
    }

    /// Stops the run's agent work from outside the budgets (the branch can no longer be landed
    /// on): no attempt starts after this; jobs not started stay planned for `stomper resume`.
    public func halt(_ reason: String) {
        stop(reason)
    }

    @discardableResult
    private func stop(_ reason: String) -> Permit {
        if stopped == nil { stopped = reason + "; the files not started are left for `stomper resume`" }
        wakeAll()
        return .stop(stopped!)
    }

    private func wakeAll() {
        let continuations = waiting
        waiting = []
        for continuation in continuations { continuation.resume() }
    }
}
