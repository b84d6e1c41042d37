import StomperLedger

/// Why a job's state changes. Each case is one step of the job state machine (`JobState`) and
/// says what goes into the ledger with it; `RunRecorder.transition(_:_:from:)` applies them, and
/// nothing else changes a job's state.
enum JobTransition: Sendable {
    /// The job has its worktree and its first attempt (or cached fix) starts: `planned → running(1)`.
    case started
    /// Another attempt starts: `running(n) → running(n + 1)`.
    case retried(attempt: Int)
    /// A fix passed verification: `running → verified`; it is cached, then landed.
    case verified
    /// The verified fix is on the branch: `verified → landed`, in one transaction with its receipt
    /// and its `land.finished` event.
    case landed(Landing)
    /// The job ended in this process: `failed`, `skipped`, or back to `planned` for resume when it
    /// was deferred or `interrupted`, with its outcome; always a `job.finished` event. A job that
    /// landed (recorded by `landed`) or never left `planned` only gets the event.
    case finished(FileOutcome, interrupted: Bool)
    /// Resume found the job's key on the branch: `→ landed`, with a `job.reconciled` event.
    case reconciled(commit: String, key: String)
    /// Resume queues again a job a dead process left running or verified: `→ planned`, with a
    /// `job.requeued` event.
    case requeued
    /// Resume finds nothing left to do for a planned job: `planned → skipped`.
    case dropped(reason: String, outcome: FileOutcome?)

    /// What a landing records with its state.
    struct Landing: Sendable {
        var commit: String
        var key: String
        var outcome: FileOutcome
        var receipt: ReceiptRecord
    }

    /// An event that goes into the ledger with the transition.
    struct Event: Sendable {
        var type: String
        var step: String
        var level: EventRecord.Level = .info
        var data: [String: CanonicalJSON]
    }

    /// The state this leads to from `current`; nil when the job stays where it is. Whether the
    /// step is allowed is the state machine's call (`JobState.canTransition(to:)`), not this one's.
    func next(from current: JobState) -> JobState? {
        switch self {
        case .started: return .running(attempt: 1)
        case .retried(let attempt): return .running(attempt: attempt)
        case .verified: return .verified
        case .landed(let landing): return .landed(commit: landing.commit)
        case .reconciled(let commit, _): return .landed(commit: commit)
        case .requeued: return .planned
        case .dropped(let reason, _): return .skipped(reason: reason)
        case .finished(let outcome, let interrupted):
            let next: JobState?
            switch outcome.status {
            case .fixed, .partiallyFixed:
                next = nil  // recorded with the landing, in the same transaction as its receipt
            case .wouldFix:
                next = .skipped(reason: "dry run: verified fix not committed")
            case .failed:
                next = .failed(reason: outcome.reason ?? "not fixed")
            case .skipped where interrupted || outcome.deferred:
                next = .planned
            case .skipped, .needsAgent:
                next = .skipped(reason: outcome.reason ?? "skipped")
            }
            return next == current ? nil : next
        }
    }

    /// The outcome stored with the new state, if the step has one.
    var outcome: FileOutcome? {
        switch self {
        case .landed(let landing): return landing.outcome
        case .finished(let outcome, _): return outcome
        case .dropped(_, let outcome): return outcome
        case .started, .retried, .verified, .reconciled, .requeued: return nil
        }
    }

    /// The event recorded with the step, if it has one.
    func event(from current: JobState) -> Event? {
        switch self {
        case .landed(let landing):
            return Event(
                type: "land.finished", step: "land",
                data: [
                    "result": .string("landed"), "commit": .string(landing.commit), "key": .string(landing.key),
                ])
        case .finished(let outcome, _):
            return Event(
                type: "job.finished", step: "summary", level: outcome.status == .failed ? .warning : .info,
                data: [
                    "status": .string(outcome.status.rawValue), "reason": .string(outcome.reason),
                    "attempts": .int(outcome.attempts), "agent_calls": .int(outcome.agentCalls),
                    "ms": .milliseconds(outcome.totalSeconds),
                ])
        case .reconciled(let commit, let key):
            return Event(type: "job.reconciled", step: "resume", data: ["commit": .string(commit), "key": .string(key)])
        case .requeued:
            return Event(type: "job.requeued", step: "resume", data: ["was": .string(current.name)])
        case .started, .retried, .verified, .dropped:
            return nil
        }
    }
}
