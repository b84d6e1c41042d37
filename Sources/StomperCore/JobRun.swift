import StomperLedger
import Synchronization

/// One job while the pipeline works on it: the job, what its run shares with every job
/// (`RunContext`), and the job's phase clock. It goes whole wherever the job's work goes, so no
/// step takes `(job, context)` apart or looks a clock up in the task; `FileJob`'s fields read
/// through it (`job.path`).
///
/// The job's state changes only through `transition(_:)`.
@dynamicMemberLookup
struct JobRun: Sendable {
    let job: FileJob
    let context: RunContext
    /// Adds up where the job's time goes and tells the progress display the phase it is in.
    let clock: PhaseClock
    /// The run's recorder, timing every ledger call of this job into `clock`; nil without a ledger.
    let recorder: RunRecorder?
    /// The state last recorded for the job. Only the job's own task moves it, one transition at a
    /// time, so reading it, writing the ledger and storing the result cannot interleave with
    /// another transition of the same job.
    private let recorded = RecordedState()

    /// A job the run is about to start: `planned` in the ledger, as `begin` and `prepareResume` leave it.
    init(job: FileJob, context: RunContext, clock: PhaseClock) {
        self.job = job
        self.context = context
        self.clock = clock
        recorder = context.recorder?.timing(into: clock)
    }

    subscript<Value>(dynamicMember keyPath: KeyPath<FileJob, Value>) -> Value {
        job[keyPath: keyPath]
    }

    /// The job's state as last recorded (`planned` until its first transition).
    var state: JobState { recorded.value.withLock { $0 } }

    /// Moves the job to the state `change` leads to, through `RunRecorder.transition(_:_:from:)`,
    /// which checks the step against the job state machine and records it with its events. Without
    /// a ledger nothing is recorded and the state stays.
    func transition(_ change: JobTransition) async throws {
        guard let recorder else { return }
        let next = try await recorder.transition(job.path, change, from: state)
        recorded.value.withLock { $0 = next }
    }
}

/// The state last recorded for one job, shared by the copies of its `JobRun`.
private final class RecordedState: Sendable {
    let value = Mutex<JobState>(.planned)
}
