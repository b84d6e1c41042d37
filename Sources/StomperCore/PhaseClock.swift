import Synchronization

/// Adds up where one job's time goes: `worktree` (lease: create or recycle), `agent`, `verify`
/// (re-lint), `diff` (reading changes, scope checks, the unified diff), `land` (the critical
/// section) and `ledger` (every ledger transaction of the job). Reported per file in outcomes and
/// used by the benchmarks.
///
/// Each job has its own, carried by its `JobRun`; the job's ledger calls add to it through the
/// recorder `JobRun.recorder` (`RunRecorder.timing(into:)`).
final class PhaseClock: Sendable {
    private let totals = Mutex<[String: Duration]>([:])
    /// Told when a phase starts (for progress displays); phases nested in one (`ledger` inside
    /// `land`) are reported too, the listener keeps the ones it shows.
    private let onPhase: (@Sendable (String) -> Void)?

    init(onPhase: (@Sendable (String) -> Void)? = nil) {
        self.onPhase = onPhase
    }

    func add(_ phase: String, _ duration: Duration) {
        totals.withLock { $0[phase, default: .zero] += duration }
    }

    func measure<T>(_ phase: String, _ body: () async throws -> T) async rethrows -> T {
        onPhase?(phase)
        let start = ContinuousClock.now
        defer { add(phase, ContinuousClock.now - start) }
        return try await body()
    }

    var seconds: [String: Double] {
        totals.withLock { $0.mapValues(\.seconds) }
    }
}
