import StomperLedger

extension RunRecorder {
    /// The one function through which a job's state changes, in a run and in its resume.
    ///
    /// Works out where `change` leads from `current` (`JobTransition.next(from:)`) and refuses a
    /// step the job state machine forbids (`JobState.canTransition(to:)`) with
    /// `LedgerError.illegalTransition` before anything is written; the ledger checks the step
    /// again against the stored state inside its transaction. The new state, its outcome and the
    /// step's event go into one transaction, after the events buffered for the job; a step that
    /// leaves the state as it is writes only the events. Returns the job's state afterwards.
    @discardableResult
    func transition(_ path: String, _ change: JobTransition, from current: JobState) async throws -> JobState {
        let next = change.next(from: current)
        if let next, !current.canTransition(to: next) {
            throw LedgerError(.illegalTransition, "job \(path) cannot go from \(current.name) to \(next.name)")
        }
        let event = change.event(from: current).map { record($0.type, step: $0.step, job: path, level: $0.level, $0.data) }
        guard let next else {
            let events = buffer.take(path) + (event.map { [$0] } ?? [])
            if !events.isEmpty { try await timed { try await ledger.append(events) } }
            return current
        }
        if case .landed(let landing) = change, let event {
            // The receipt and the `landed` state share a transaction: the ledger never says
            // "landed" without its receipt.
            let buffered = buffer.take(path)
            if !buffered.isEmpty { try await timed { try await ledger.append(buffered) } }
            try await timed {
                try await ledger.recordLanding(
                    runID: runID, path: path, state: next, outcome: encode(landing.outcome),
                    receipt: landing.receipt, event: event)
            }
            return next
        }
        let events = buffer.take(path) + (event.map { [$0] } ?? [])
        try await timed {
            try await ledger.transition(runID: runID, path: path, to: redacted(next), outcome: change.outcome.map(encode), events: events)
        }
        return next
    }
}
