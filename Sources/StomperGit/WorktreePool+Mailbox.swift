import Synchronization

extension WorktreePool {
    /// Where a waiting lease finds its next instruction, delivered before or after it starts
    /// waiting. Outside the actor's isolation so that a cancellation handler, which runs at once
    /// on the cancelling thread, can wake the waiter itself: no task has to hop onto the actor.
    /// The lease, back on the actor, then withdraws from the state machine (`withdraw`).
    final class Mailbox: Sendable {
        typealias Letter = Result<StateMachine.Instruction, any Error>

        private enum Entry {
            case waiting(CheckedContinuation<StateMachine.Instruction, any Error>)
            case ready(Letter)
        }

        private let entries = Mutex<[Int: Entry]>([:])

        /// Wakes lease `id` with `letter`, or leaves it for its next `receive`. A later letter
        /// replaces an unread one: the state machine sends a waiting lease at most a `.wait`
        /// (new patience) and then one final instruction.
        func deliver(_ letter: Letter, to id: Int) {
            entries.withLock { entries in
                if case .waiting(let continuation)? = entries.removeValue(forKey: id) {
                    continuation.resume(with: letter)
                } else {
                    entries[id] = .ready(letter)
                }
            }
        }

        /// The next letter for lease `id`; `CancellationError` if the task is cancelled first.
        func receive(_ id: Int) async throws -> StateMachine.Instruction {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    entries.withLock { entries in
                        if case .ready(let letter)? = entries.removeValue(forKey: id) {
                            continuation.resume(with: letter)
                        } else if Task.isCancelled {
                            continuation.resume(throwing: CancellationError())
                        } else {
                            entries[id] = .waiting(continuation)
                        }
                    }
                }
            } onCancel: {
                entries.withLock { entries in
                    guard case .waiting(let continuation)? = entries[id] else { return }
                    entries[id] = nil
                    continuation.resume(throwing: CancellationError())
                }
            }
        }

        /// The unread instruction for lease `id`, if any; removes it.
        func take(_ id: Int) -> StateMachine.Instruction? {
            entries.withLock { entries in
                guard case .ready(let letter)? = entries[id] else { return nil }
                entries[id] = nil
                return try? letter.get()
            }
        }

        func discard(_ id: Int) {
            entries.withLock { _ = $0.removeValue(forKey: id) }
        }
    }
}
