public import StomperCoordination
public import StomperLedger

/// The runs a repository's ledger remembers, as the documents `status`, `runs`, `show` and
/// `tail` print (`RunState`, `RunDetail`, `EventDocument`). Reads only; a front end that reports
/// on runs (the CLI, an MCP server) asks here rather than walking ledger records itself.
public struct RunHistory: Sendable {
    public let ledger: Ledger

    public init(ledger: Ledger) {
        self.ledger = ledger
    }

    /// The run `status` shows: the latest unfinished run, else the latest; nil before any run.
    public func current() async throws -> RunRecord? {
        if let unfinished = try await ledger.latestUnfinishedRun() { return unfinished }
        return try await ledger.runs(limit: 1).first
    }

    /// The run `text` names: `latest`, an id, or a unique prefix of one (`RunSelection`).
    public func run(_ text: String) async throws -> RunRecord {
        try await RunSelection.resolve(text, ledger: ledger)
    }

    /// The state of `run`; with `files`, the outcome of each file that has one.
    public func state(of run: RunRecord, files: Bool = false) async throws -> RunState {
        try await ledger.runState(run, files: files)
    }

    /// The states of the latest `limit` runs, newest first.
    public func states(limit: Int) async throws -> [RunState] {
        var states: [RunState] = []
        for run in try await ledger.runs(limit: limit) { states.append(try await ledger.runState(run)) }
        return states
    }

    /// The jobs of `run`, in the ledger's order.
    public func jobs(of run: RunRecord) async throws -> [JobRecord] {
        try await ledger.jobs(runID: run.id)
    }

    /// Everything `show --json` prints of `run`.
    public func detail(of run: RunRecord) async throws -> RunDetail {
        try await ledger.runDetail(run)
    }

    /// Events after sequence number `after` (of `runID`, or of every run when nil), at least
    /// `minimumLevel`, at most `limit`.
    public func events(after: Int64, runID: String?, minimumLevel: EventRecord.Level = .debug, limit: Int) async throws -> [EventRecord] {
        try await ledger.events(after: after, runID: runID, minimumLevel: minimumLevel, limit: limit)
    }

    /// The leases held on the repository right now (`stomper locks`).
    public func leases() async throws -> [Lease] {
        try await LedgerLeaseStore(ledger: ledger).leases()
    }

    /// Contention per resource class, of one run or of all (`stomper stats`).
    public func coordinationStats(runID: String?) async throws -> CoordinationStats {
        try await ledger.coordinationStats(runID: runID)
    }

    /// What stomper learnt: success per code and agent, cost per agent (`stomper stats --learning`).
    public func learning() async throws -> LearningReport {
        LearningReport(figures: try await ledger.learningFigures(), agents: try await ledger.agentFigures())
    }

    /// True once `id` is no longer running, or its process is gone without saying so.
    public func hasEnded(_ id: String) async throws -> Bool {
        guard let run = try await ledger.run(id) else { return true }
        return run.status != .running || !RunGate.isLive(run)
    }
}

extension Workspace {
    /// The runs of this repository's ledger.
    public func history() throws -> RunHistory {
        RunHistory(ledger: try openLedger())
    }
}
