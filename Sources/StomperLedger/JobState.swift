/// Where one file's job stands. Transitions are checked: a landed job never runs again, a
/// planned job cannot jump to landed without running (except when git history proves it landed).
public enum JobState: Sendable, Hashable, Codable, CustomStringConvertible {
    case planned
    case running(attempt: Int)
    case verified
    case landed(commit: String)
    case failed(reason: String)
    case skipped(reason: String)

    /// The name stored in the `state` column.
    public var name: String {
        switch self {
        case .planned: return "planned"
        case .running: return "running"
        case .verified: return "verified"
        case .landed: return "landed"
        case .failed: return "failed"
        case .skipped: return "skipped"
        }
    }

    /// Finished for good: resume leaves it alone.
    public var isTerminal: Bool {
        switch self {
        case .landed, .failed, .skipped: return true
        case .planned, .running, .verified: return false
        }
    }

    public var description: String {
        switch self {
        case .planned: return "planned"
        case .running(let attempt): return "running (attempt \(attempt))"
        case .verified: return "verified"
        case .landed(let commit): return "landed in \(commit.prefix(12))"
        case .failed(let reason): return "failed: \(reason)"
        case .skipped(let reason): return "skipped: \(reason)"
        }
    }

    /// Whether the state machine allows `self → next`.
    ///
    /// - `planned → running(1)`, `running(n) → running(n+1)`: attempts count up by one.
    /// - `running → verified | failed | skipped`; `verified → landed | failed | skipped`.
    /// - `planned → skipped` (nothing to do any more) and any unfinished state `→ landed` when
    ///   reconciliation finds the job's key on the branch.
    /// - `running | verified → planned`: resume re-queues work a dead process left unfinished.
    /// - Nothing leaves `landed`, `failed` or `skipped`.
    public func canTransition(to next: JobState) -> Bool {
        switch (self, next) {
        case (.planned, .running(let attempt)): return attempt == 1
        case (.running(let current), .running(let attempt)): return attempt == current + 1
        case (.running, .verified), (.running, .failed), (.running, .skipped): return true
        case (.verified, .landed), (.verified, .failed), (.verified, .skipped): return true
        case (.planned, .skipped), (.planned, .failed): return true
        case (.planned, .landed), (.running, .landed): return true
        case (.running, .planned), (.verified, .planned): return true
        default: return false
        }
    }
}
